/**
 * Progress for long-running commands, on stderr so stdout stays parseable: a line rewritten
 * in place on a terminal, and at most one line per ten percent otherwise (logs, CI).
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  let lastDecile = -1;
  return (done: number, total: number, what: string): void => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (stream.isTTY) {
      // \x1b[K clears what a longer previous line (another controller's name) left behind.
      stream.write(`\r${what}: ${percent}% (${done}/${total})\x1b[K${done >= total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(percent / 10);
    if (decile !== lastDecile || done >= total) {
      lastDecile = decile;
      stream.write(`${what}: ${percent}% (${done}/${total})\n`);
    }
  };
}
