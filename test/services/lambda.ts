// Skein's Lambda functions run locally behind AWS's Lambda Runtime Interface Emulator (aws-lambda-rie,
// built once from its Go module by lambda-rie.sh): the real bootstrap and runtime loop, the real
// Invoke API, so tests call them with the unmodified LambdaClient and an endpoint override.
// One emulator runs one invocation at a time: start several for concurrency.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, REPO } from './services';

let rie: string | null = null;

/** The emulator binary (built on first use; later runs reuse build/bin/aws-lambda-rie). */
export function rieBinary(): string {
  if (rie) return rie;
  const r = spawnSync('bash', [join(REPO, 'test', 'services', 'lambda-rie.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`cannot build aws-lambda-rie:\n${r.stderr}`);
  rie = r.stdout.trim().split('\n').pop() as string;
  return rie;
}

export interface LambdaFunction {
  /** The Invoke API endpoint (LambdaClient `endpoint`); the function name is always "function". */
  url: string;
  process: ChildProcess;
  /** What the emulator and the function printed (START/END/REPORT lines, handler logs). */
  output(): string;
  stop(): Promise<void>;
}

export interface LambdaFunctionOptions {
  handler: 'engine' | 'catalog';
  env?: Record<string, string>;
  /** The function's timeout (AWS_LAMBDA_FUNCTION_TIMEOUT), seconds. */
  timeoutSeconds?: number;
  /** The bundle root the bootstrap runs from (default: this checkout, after `npm run build`). */
  taskRoot?: string;
}

function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export async function startLambdaFunction(opts: LambdaFunctionOptions): Promise<LambdaFunction> {
  const root = opts.taskRoot ?? REPO;
  const bootstrap = join(root, existsSync(join(root, 'bootstrap')) ? 'bootstrap' : join('scripts', 'lambda', 'bootstrap'));
  if (!existsSync(join(root, 'dist', 'src', 'executors', 'lambda', 'runtime.js'))) {
    throw new Error(`${root}/dist has no Lambda runtime: run npm run build`);
  }
  const [port, apiPort] = [await freePort(), await freePort()];
  const rieArgs = ['--runtime-interface-emulator-address', `127.0.0.1:${port}`, '--runtime-api-address', `127.0.0.1:${apiPort}`, '--log-level', 'error', bootstrap];
  // a shell holds our stdin pipe: when this process dies (even by SIGKILL) the pipe closes and the
  // shell stops the emulator, whose runtime then exits on its own (its Runtime API is gone)
  const child = spawn(
    'sh',
    ['-c', '"$@" & child=$!; cat >/dev/null; kill "$child" 2>/dev/null; wait', 'sh', rieBinary(), ...rieArgs],
    {
      cwd: root,
      env: {
        ...process.env,
        LAMBDA_TASK_ROOT: root,
        SKEIN_LAMBDA_HANDLER: opts.handler,
        AWS_LAMBDA_FUNCTION_NAME: `skein-${opts.handler}`,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(opts.timeoutSeconds ?? 60),
        SKEIN_LOG_LEVEL: process.env.SKEIN_LOG_LEVEL ?? 'warn',
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      // its own process group: stop() ends the emulator and the runtime it started together
      detached: true,
    },
  );
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const until = Date.now() + 15000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`aws-lambda-rie exited (${child.exitCode}):\n${out}`);
    if (Date.now() > until) {
      process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`aws-lambda-rie did not listen within 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await gone;
    clearTimeout(t);
    try {
      process.kill(-(child.pid as number), 'SIGKILL'); // the runtime, if it outlived the emulator
    } catch {
      // the group is empty
    }
  };
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => out, stop };
}
