// Baseline servers measured in the same run, on the same files: a plain Node server (GET and PUT)
// and nginx (GET only, when installed). Both are stopped by PID.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.ts';
import type { ObjectServerReady } from './object-server-main.ts';

const SERVER_MAIN = fileURLToPath(new URL('./object-server-main.ts', import.meta.url));
export const NGINX_PATH = '/usr/sbin/nginx';
const SERVER_START_MS_MAX = 20_000;
const NGINX_WORKER_PROCESSES = 2;
const NGINX_WORKER_CONNECTIONS = 4096;
const READY_POLL_MS = 50;

export interface StartedServer {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/** Forks bench/object-server-main.ts: `baseline` serves root; `dev` adds a redirecting proxy port. */
export async function startObjectServer(mode: 'baseline' | 'dev', root: string, cleanup: Cleanup, fsync = false): Promise<StartedServer> {
  const child = fork(SERVER_MAIN, [mode, root, fsync ? 'fsync' : 'nofsync'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const stop = cleanup.addPid(`node ${mode} server`, child.pid!);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} server did not start in ${SERVER_START_MS_MAX} ms`)), SERVER_START_MS_MAX);
      child.once('message', (m: ObjectServerReady) => {
        clearTimeout(timer);
        resolve(m.url);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${mode} server exited with ${code}`));
      });
    });
    return { url, pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

export function nginxConfig(opts: { dir: string; root: string; port: number; user: string | undefined }): string {
  const p = (name: string): string => path.join(opts.dir, name);
  return `${opts.user ? `user ${opts.user};\n` : ''}worker_processes ${NGINX_WORKER_PROCESSES};
daemon off;
master_process on;
pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;
events { worker_connections ${NGINX_WORKER_CONNECTIONS}; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  default_type application/octet-stream;
  client_body_temp_path ${p('client_body')};
  proxy_temp_path ${p('proxy')};
  fastcgi_temp_path ${p('fastcgi')};
  uwsgi_temp_path ${p('uwsgi')};
  scgi_temp_path ${p('scgi')};
  server {
    listen 127.0.0.1:${opts.port};
    root ${opts.root};
    location / { }
  }
}
`;
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${deadlineMs} ms`);
}

/** Starts nginx serving root (GET only); undefined with a reason when nginx is not installed. */
export async function startNginx(root: string, dir: string, cleanup: Cleanup): Promise<StartedServer | string> {
  if (!fs.existsSync(NGINX_PATH)) return `nginx skipped: ${NGINX_PATH} not found (apt-get install -y nginx-light)`;
  await fsp.mkdir(dir, { recursive: true });
  const port = await freePort();
  // As root, nginx workers would drop to "nobody", who cannot read our 0700 temp dirs.
  const user = process.getuid?.() === 0 ? os.userInfo().username : undefined;
  const conf = path.join(dir, 'nginx.conf');
  await fsp.writeFile(conf, nginxConfig({ dir, root, port, user }));
  const child = spawn(NGINX_PATH, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = cleanup.addPid('nginx', child.pid!);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited with ${code}; see ${dir}/error.log`))));
  exited.catch(() => {});
  try {
    await Promise.race([waitForPort(port, SERVER_START_MS_MAX), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}
