/** What a command's action reports back: the process exit code. */
export interface CommandContext {
  setExitCode(code: number): void;
}
