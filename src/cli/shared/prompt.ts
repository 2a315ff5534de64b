import { createInterface } from 'node:readline';

/**
 * Ask one question on the terminal and resolve with whether the answer was accepted. Ctrl-C, a
 * closed stdin (Ctrl-D, a pipe that ended) and an aborted `signal` all mean "no": the promise
 * resolves false instead of rejecting, so the caller prints "nothing was applied" rather than
 * readline/promises' AbortError stack. The callback readline is used on purpose: its promise
 * form rejects on Ctrl-C.
 */
export interface ConfirmOptions {
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the question goes: stderr, so stdout stays the command's output. */
  output?: NodeJS.WritableStream;
  /** Accepted answers; default exactly `yes` (as Terraform: `y` is too easy to type by mistake). */
  accept?: (answer: string) => boolean;
  signal?: AbortSignal;
}

export type ConfirmAnswer = { accepted: boolean; reason: 'answered' | 'interrupted' | 'closed' | 'aborted' };

export function ask(question: string, o: ConfirmOptions = {}): Promise<ConfirmAnswer> {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stderr;
  const accept = o.accept ?? ((a) => a.trim() === 'yes');
  if (o.signal?.aborted) return Promise.resolve({ accepted: false, reason: 'aborted' });
  const rl = createInterface({ input, output, terminal: input.isTTY === true });
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: ConfirmAnswer): void => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      rl.close();
      // readline leaves stdin flowing; pause it so the process can exit when the command is done.
      input.pause();
      resolve(answer);
    };
    const onAbort = (): void => finish({ accepted: false, reason: 'aborted' });
    // On a terminal Ctrl-C reaches readline as 'SIGINT' (raw mode), not the process.
    rl.on('SIGINT', () => {
      output.write('^C\n');
      finish({ accepted: false, reason: 'interrupted' });
    });
    rl.on('close', () => finish({ accepted: false, reason: 'closed' }));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    rl.question(question, (answer) => finish({ accepted: accept(answer), reason: 'answered' }));
  });
}

/** `ask` when only yes or no matters. */
export async function confirm(question: string, o: ConfirmOptions = {}): Promise<boolean> {
  return (await ask(question, o)).accepted;
}
