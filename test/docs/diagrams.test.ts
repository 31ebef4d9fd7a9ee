import { readFileSync } from 'node:fs';
import { onlyOnLinux, skipNote } from '../support/platform';
import { join } from 'node:path';
import { ROOT, snippets } from './snippets';

/**
 * The mermaid diagrams of docs/pattern.md: the ones the text promises are
 * there, and the classes they draw are still the framework's.
 */
const diagrams = snippets('docs/pattern.md').filter((b) => b.lang === 'mermaid');
const exported = readFileSync(join(ROOT, 'framework', 'index.ts'), 'utf8');

// The documents are checked once, on Linux (their links are POSIX paths).
(onlyOnLinux ? describe.skip : describe)(`the diagrams of docs/pattern.md${skipNote(onlyOnLinux)}`, () => {
  it('should draw the participants as classes, and two sequences', () => {
    expect(diagrams.map((d) => d.text.trim().split('\n')[0])).toEqual(['classDiagram', 'sequenceDiagram', 'sequenceDiagram']);
  });

  it('should draw only classes the framework exports (and the kernel)', () => {
    const classes = [...diagrams[0].text.matchAll(/^\s*class (\w+)/gm)].map((m) => m[1]);
    expect(classes).toEqual(expect.arrayContaining(['Proactor', 'ProactorImpl', 'AsynchOperation', 'AsynchResult', 'Handler', 'ServiceHandler']));
    expect(classes.filter((c) => c !== 'Kernel' && !new RegExp(`\\b${c}\\b`).test(exported))).toEqual([]);
  });

  it('should keep semicolons out of sequence messages, where mermaid takes them for line ends', () => {
    expect(diagrams.slice(1).flatMap((d) => d.text.split('\n').filter((line) => line.includes(';')))).toEqual([]);
  });
});
