import fs from 'node:fs';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');

function markdownFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(repo, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs];
}

/** Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const seen = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (fenced || heading === null) continue;
    seen.add(
      (heading[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return seen;
}

/** Relative links outside code: `[text](target)`; web and mail links are not ours to check. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '').filter((target) => !/^[a-z]+:/.test(target));
}

describe('markdown links in README.md and docs/', () => {
  const files = markdownFiles();

  it('finds the pages', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/deployment.md', 'docs/events.md']));
  });

  it.each(files)('%s: every relative link resolves to a file (and its #anchor to a heading)', (file) => {
    const broken: string[] = [];
    for (const target of links(fs.readFileSync(path.join(repo, file), 'utf8'))) {
      const [pathPart = '', anchor] = target.split('#');
      const resolved = pathPart === '' ? path.join(repo, file) : path.resolve(path.dirname(path.join(repo, file)), decodeURI(pathPart));
      if (!fs.existsSync(resolved)) {
        broken.push(`${target} (no ${path.relative(repo, resolved)})`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(anchor))
        broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README short: at most 250 lines', () => {
    expect(fs.readFileSync(path.join(repo, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });
});
