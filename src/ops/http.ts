import type { Server, ServerResponse } from 'node:http';
import { MlError } from '../support/errors.js';

/** serve's HTTP plumbing: listening with errors a person can act on, and plain answers. */

/** Listen, or fail with a message a person can act on (no raw EADDRINUSE stack). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE') {
        reject(new MlError('SERVE_PORT_IN_USE', `serve cannot listen on ${where}: the port is in use by another process.`, {
          meta: { host, port },
          hint: `Stop the other process (\`ss -ltnp 'sport = :${port}'\` shows it) or start serve with another --port.`,
        }));
      } else if (err.code === 'EACCES') {
        reject(new MlError('SERVE_PORT_DENIED', `serve may not listen on ${where}: permission denied.`, {
          meta: { host, port },
          hint: 'Ports below 1024 need privileges; use a port such as 8080 behind the reverse proxy.',
        }));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new MlError('SERVE_ADDRESS_UNAVAILABLE', `serve cannot listen on ${where}: this machine has no such address.`, {
          meta: { host, port },
          hint: 'Use --host 0.0.0.0 (every interface) or an address of this machine.',
        }));
      } else {
        reject(new MlError('SERVE_LISTEN_FAILED', `serve cannot listen on ${where}: ${err.message}`, { meta: { host, port, errorCode: err.code } }));
      }
    });
    server.listen(port, host, () => resolve());
  });
}

export function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

