import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ask, confirm } from '../src/cli/shared/prompt.js';

/** The shared prompt: yes is yes; Ctrl-C, a closed stdin and an abort are "no", never a stack. */
function streams(): { input: PassThrough; output: PassThrough; shown: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => { shown += d.toString(); });
  return { input, output, shown: () => shown };
}

describe('ask / confirm', () => {
  it('accepts exactly "yes" (surrounding spaces allowed), nothing else', async () => {
    for (const [typed, accepted] of [['yes', true], ['  yes ', true], ['y', false], ['YES', false], ['no', false], ['', false]] as const) {
      const s = streams();
      const answer = confirm('Apply? ', { input: s.input, output: s.output });
      s.input.write(`${typed}\n`);
      expect(await answer, JSON.stringify(typed)).toBe(accepted);
      expect(s.shown()).toContain('Apply? ');
    }
  });

  it('a closed stdin and an aborted signal resolve "no"', async () => {
    const closed = streams();
    const a = ask('Apply? ', { input: closed.input, output: closed.output });
    closed.input.end();
    expect(await a).toEqual({ accepted: false, reason: 'closed' });
    const controller = new AbortController();
    const s = streams();
    const b = ask('Apply? ', { input: s.input, output: s.output, signal: controller.signal });
    controller.abort();
    expect(await b).toEqual({ accepted: false, reason: 'aborted' });
    expect(await ask('Apply? ', { input: s.input, output: s.output, signal: controller.signal })).toEqual({ accepted: false, reason: 'aborted' });
  });

  it.skipIf(!existsSync('/usr/bin/script'))('Ctrl-C on a real terminal answers "no" and the process exits cleanly, without an AbortError stack', async () => {
    const program = `import('./dist/cli/shared/prompt.js').then(async (m) => { const a = await m.ask('Apply these changes? '); console.log('RESULT ' + JSON.stringify(a)); })`;
    const child = spawn('/usr/bin/script', ['-q', '-e', '-c', `${process.execPath} -e "${program}"`, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
      if (!sent && screen.includes('Apply these changes?')) {
        sent = true;
        child.stdin.write('\u0003');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(sent).toBe(true);
    expect(code).toBe(0);
    expect(screen).toContain('RESULT {"accepted":false,"reason":"interrupted"}');
    expect(screen).not.toMatch(/AbortError|\n\s+at /);
  });
});
