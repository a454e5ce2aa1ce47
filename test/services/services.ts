// Real local stand-ins for the cloud parts, started by the tests that need them and stopped after:
// moto in server mode (S3, Glue, ECS, … on one HTTP port, from the test virtualenv) and
// redis-server (Debian's package; test/services/install.sh installs it when missing).
// Each call starts a private process on a free port, so test files never share state.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');
export const VENV_PYTHON = join(REPO, '.venv-test', 'bin', 'python');

export interface Service {
  port: number;
  /** e.g. http://127.0.0.1:PORT (moto) or redis://127.0.0.1:PORT. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function waitFor(what: string, child: ChildProcess, ready: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}

function stopper(child: ChildProcess, after?: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    after?.();
  };
}

/**
 * moto_server on a free loopback port; AWS clients point their endpoint at `url`. `env` adds moto
 * settings (e.g. INITIAL_NO_AUTH_ACTION_COUNT to enforce IAM); jest's process.env does not reach children.
 */
export async function startMoto(env: NodeJS.ProcessEnv = {}): Promise<Service> {
  const bin = join(REPO, '.venv-test', 'bin', 'moto_server');
  if (!existsSync(bin)) throw new Error(`${bin} missing: run bash test/e2e/setup-python.sh`);
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('moto_server', child, async () => {
      try {
        const r = await fetch(`${url}/moto-api/`);
        return r.status < 500;
      } catch {
        return false;
      }
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return { port, url, process: child, stop: stopper(child) };
}

/** Test credentials moto accepts (any non-empty pair). */
export const MOTO_CREDENTIALS = { accessKeyId: 'skein-test', secretAccessKey: 'skein-test-secret' };

export function redisServerPath(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  const w = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (w.status === 0 && w.stdout.trim()) return w.stdout.trim();
  throw new Error('redis-server not found: run bash test/services/install.sh');
}

/** A private redis-server (no persistence) on a free loopback port. `port` reuses one (restart tests). */
export async function startRedis(port?: number): Promise<Service> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'skein-redis-'));
  const child = spawn(
    redisServerPath(),
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  try {
    await waitFor('redis-server', child, async () => log.includes('Ready to accept connections'));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    process: child,
    stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
  };
}

/** Runs a Python script of the test venv (pyiceberg, deltalake, duckdb writers); throws with its stderr. */
export function runPython(script: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(VENV_PYTHON, [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python ${script} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
