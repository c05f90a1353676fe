import { readFileSync } from 'node:fs';

import { Argument, Command as CommandClass, type Command } from 'commander';

import { CERTIFICATE_KEY_SETTINGS, certificateKeysOf } from '../config/config';
import { verifyCertificate } from '../proof/certificates';
import { jwksOf, publicKeysFromJwks } from '../proof/keys';
import type { Cli, CommandContext } from './context';
import { CliError, EXIT } from './exit-codes';

/** Larger than any certificate by far; a bigger file is not one, and is not read into memory. */
const MAX_FILE_BYTES = 1_048_576;

interface VerifyOptions {
  readonly keys?: string;
}

function readBounded(file: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CliError('usage', `${what}: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (bytes.length > MAX_FILE_BYTES) throw new CliError('usage', `${what}: ${file} is larger than ${MAX_FILE_BYTES} bytes`);
  return bytes.toString('utf8');
}

/**
 * The certificate in a file: the signed document itself (`{certificate, signature}`), or one wrapped the ways the
 * worker hands it out: a `subscription.data-deleted` event (`data.certificate`), a subscription from the API
 * (`receipt.certificate`), `status --json` (`subscription.receipt.certificate`). Anything else is given to the verifier as it is, which names what is wrong with it.
 */
function certificateIn(json: unknown): unknown {
  if (!isRecord(json) || 'signature' in json) return json;
  if (isRecord(json.data) && 'certificate' in json.data) return json.data.certificate;
  if (isRecord(json.receipt) && 'certificate' in json.receipt) return json.receipt.certificate;
  // `status --json` and the timeline route wrap the subscription.
  if (isRecord(json.subscription)) return certificateIn(json.subscription);
  return json;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function verify(context: CommandContext, file: string, options: VerifyOptions): number {
  const text = readBounded(file, 'certificate');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError('usage', `certificate: ${file} is not JSON`);
  }
  // Offline by design: the keys come from a file (as served at the well-known route), or from this machine's settings.
  const publicKeys =
    options.keys === undefined
      ? certificateKeysOf(context.settings(CERTIFICATE_KEY_SETTINGS)).publicKeys
      : publicKeysFromJwks(readBounded(options.keys, '--keys'), '--keys');
  if (publicKeys.size === 0)
    throw new CliError(
      'config',
      'no public keys: pass --keys FILE (a JSON Web Key Set), or set DELETION_SIGNING_KEY_FILE or DELETION_RETIRED_KEYS_FILE',
    );
  const result = verifyCertificate(certificateIn(json), publicKeys);
  if (!result.ok) {
    context.output.result({ verified: false, check: result.check, problems: result.problems }, () => [
      `NOT VERIFIED (${result.check}):`,
      ...result.problems.map((problem) => `  ${problem}`),
    ]);
    // Returned, not thrown: under --json the verdict above stays the one document on stdout.
    return EXIT.unverified;
  }
  const { certificate } = result;
  context.output.result({ verified: true, keyId: result.keyId, certificate }, () => [
    `verified: certificate ${certificate.certificateId}, signed by key ${result.keyId}`,
    `subscription ${certificate.subscriptionId}  customer ${certificate.customerId}  tenant ${certificate.tenantId}`,
    `policy:      ${certificate.policyVersion} (${certificate.policyHash})`,
    `suspended:   ${certificate.suspendedAt ?? 'unknown'} (${certificate.statusAtDeletion} when deleted)`,
    `announced:   deletion on ${certificate.deletionAnnouncedFor}`,
    `deleted:     ${certificate.deletedAt}`,
    ...(certificate.collections.length === 0
      ? ['collections: none configured (tombstone only)']
      : [
          'collections:',
          ...certificate.collections.map((entry) => `  ${entry.collection}: ${entry.deleted} deleted, ${entry.remaining} left`),
        ]),
    `legal holds: ${certificate.legalHolds.length === 0 ? 'none' : certificate.legalHolds.map((hold) => `${hold.setAt} to ${hold.releasedAt ?? '(not released)'}`).join('; ')}`,
    `audit chain: ${certificate.auditChain.records} records, head ${certificate.auditChain.head ?? 'none'}`,
  ]);
  return 0;
}

function publicKey(context: CommandContext): number {
  const ring = certificateKeysOf(context.settings(CERTIFICATE_KEY_SETTINGS));
  if (ring.publicKeys.size === 0)
    throw new CliError('config', 'no keys configured: set DELETION_SIGNING_KEY_FILE (and DELETION_RETIRED_KEYS_FILE)');
  const jwks = jwksOf(ring);
  const pem = ring.signing?.publicKey.export({ type: 'spki', format: 'pem' });
  context.output.result(jwks, () => [
    ...(ring.signing === null ? ['no signing key configured; retired keys:'] : [`signing key ${ring.signing.keyId}:`]),
    ...(typeof pem === 'string' ? pem.trimEnd().split('\n') : []),
    '',
    'JSON Web Key Set (save it and pass it to `certificate verify --keys FILE`):',
    JSON.stringify(jwks, null, 2),
  ]);
  return 0;
}

/** `certificate verify|public-key`: deletion certificates, offline: no service is contacted. */
export function registerCertificate(program: Command, cli: Cli): void {
  const group = new CommandClass('certificate').description('deletion certificates: verify one offline, print the public keys');
  group
    .command('verify')
    .description('verify a deletion certificate offline: its shape, its key id and its Ed25519 signature (exit 5 when it fails)')
    .addArgument(new Argument('<file>', 'the certificate (or a subscription.data-deleted event, or a subscription from the API)'))
    .option('--keys <file>', 'a JSON Web Key Set of public keys (as GET /.well-known/deletion-certificate-keys.json serves it)')
    .action(async (file: string, options: VerifyOptions, command: Command) => {
      await cli.run(command, (context) => Promise.resolve(verify(context, file, options)));
    });
  group
    .command('public-key')
    .description("print the configured signing key's public key (PEM) and every configured public key as a JSON Web Key Set")
    .action(async (_options: unknown, command: Command) => {
      await cli.run(command, (context) => Promise.resolve(publicKey(context)));
    });
  program.addCommand(group);
}
