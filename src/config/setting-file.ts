import fs from 'node:fs';

import { AppError } from '../errors';

/** The contents of the file a setting names; one that cannot be read is CONFIG_INVALID naming the setting and the path. */
export function readSettingFile(name: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${name}: cannot read ${file} (${reason})`);
  }
}
