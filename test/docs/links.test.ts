import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { onlyOnLinux, skipNote } from '../support/platform';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './snippets';

/**
 * The documents' links into the tree: each names a file that exists and,
 * where the link's text is a code name (`Proactor.handleEvents`,
 * `Backend::Reap`), a file that still has that name in it. Links name
 * methods rather than line numbers so that they do not rot; this keeps
 * the names honest.
 */
const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];

interface Link {
  doc: string;
  text: string;
  target: string;
}

function links(doc: string): Link[] {
  const markdown = readFileSync(doc, 'utf8').replace(/^```[\s\S]*?^```\s*$/gm, '');
  return [...markdown.matchAll(/\[([^\]]+)\]\(([^)\s]+)\)/g)]
    .filter((m) => !/^[a-z]+:|^#/.test(m[2]))
    .map((m) => ({ doc: relative(ROOT, doc), text: m[1], target: join(dirname(doc), m[2].replace(/#.*$/, '')) }));
}

const all = DOCS.flatMap(links);

// The documents are checked once, on Linux (their links are POSIX paths).
(onlyOnLinux ? describe.skip : describe)(`links in the documentation${skipNote(onlyOnLinux)}`, () => {
  it('should find links to check', () => {
    expect(all.filter((l) => l.doc === 'docs/pattern.md').length).toBeGreaterThan(40);
  });

  it('should point at files that exist', () => {
    expect(all.filter((l) => !existsSync(l.target)).map((l) => `${l.doc}: [${l.text}] → ${relative(ROOT, l.target)}`)).toEqual([]);
  });

  it('should name, in a code-named link, something the file still has', () => {
    const stale = all.flatMap((l) => {
      const name = /^`([\w.:]+?)(\(\))?`$/.exec(l.text)?.[1];
      if (!name || !existsSync(l.target) || statSync(l.target).isDirectory()) return [];
      const last = name.split(/\.|::/).pop()!;
      return new RegExp(`\\b${last}\\b`).test(readFileSync(l.target, 'utf8')) ? [] : [`${l.doc}: ${name} is not in ${relative(ROOT, l.target)}`];
    });
    expect(stale).toEqual([]);
  });
});

// The documents are checked once, on Linux (their links are POSIX paths).
(onlyOnLinux ? describe.skip : describe)(`charts in the documentation${skipNote(onlyOnLinux)}`, () => {
  it('should be .svg files shown through image links, never inline <svg>, which markdown viewers do not render', () => {
    const inline = DOCS.filter((doc) => /<svg[\s>]/.test(readFileSync(doc, 'utf8'))).map((doc) => relative(ROOT, doc));
    expect(inline).toEqual([]);
    const images = DOCS.flatMap((doc) => [...readFileSync(doc, 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+\.svg)\)/g)].map((m) => join(dirname(doc), m[1])));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(readFileSync(image, 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });
});
