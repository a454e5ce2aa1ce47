// The `skein` command line: `serve` runs the Flight SQL server, `query` is a Flight SQL client,
// `hash-password` makes a password hash for the config file.
import './runtime-tuning';
import { Command, InvalidArgumentError as CliArgError, Option } from 'commander';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { hashPassword } from '../flight/auth';
import { FlightSqlClient } from '../flight/client';
import { SKEIN_VERSION } from '../version';
import { writeArrow, writeCsv, writeJsonLines, writeTable } from './format';
import { queryTarget, QueryTargetFlags } from './query-target';
import { serveCommand, tlsFlags } from './serve';
import { addExecutorCommand } from './executor';
import { addLogCommand } from './log';

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new CliArgError('must be a port number (0-65535)');
  return Number(v);
}

interface ServeFlags {
  host?: string;
  port?: number;
  database?: string;
  config?: string;
  demo?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  executors?: number;
  executorMode?: string;
  catalogRoot?: string;
  redis?: string;
  discoverExecutors?: boolean;
}

function count(v: string): number {
  if (!/^\d+$/.test(v)) throw new CliArgError('must be a whole number');
  return Number(v);
}

const program = new Command('skein')
  .description('Skein: a lakehouse SQL engine with an Arrow Flight SQL front door, built on DuckDB')
  .version(SKEIN_VERSION);

program
  .command('serve')
  .description('run the Flight SQL server (in-process DuckDB by default)')
  .option('--host <host>', 'address to listen on (default 127.0.0.1, env SKEIN_HOST)')
  .option('--port <port>', 'port to listen on, 0 for any free port (default 31337, env SKEIN_PORT)', port)
  .option('--database <file>', 'DuckDB database file (default in-memory, env SKEIN_DATABASE)')
  .option('--config <file>', 'JSON config file (env SKEIN_CONFIG)')
  .option('--demo', 'create the demo dataset (schema "demo") at start')
  .option('--catalog-root <dir>', 'serve the lake tables under DIR/<schema>/<table>/ (env SKEIN_CATALOG_ROOT)')
  .option('--tls-cert <file>', 'serve TLS (grpc+tls://) with this PEM certificate chain (env SKEIN_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key of --tls-cert (env SKEIN_TLS_KEY)')
  .option('--tls-client-ca <file>', 'mutual TLS: require client certificates signed by this CA (env SKEIN_TLS_CLIENT_CA)')
  .option('--executors <n>', 'run lake-table queries on N executors (0 = none; env SKEIN_EXECUTORS)', count)
  .addOption(
    new Option('--executor-mode <mode>', 'where executors run (env SKEIN_EXECUTOR_MODE); lambda, fargate and remote take their settings from the config file').choices(['in-process', 'child-process', 'lambda', 'fargate', 'remote']),
  )
  .option('--redis <url>', 'registry and query log in this Redis (env SKEIN_REDIS_URL; default: in memory)')
  .option('--discover-executors', 'also run fragments on `skein executor`s registered in the Redis registry (env SKEIN_DISCOVER_EXECUTORS)')
  .action(async (o: ServeFlags) => {
    // only the flags given, so the rest of a file's or the environment's `executors` stays
    const executors = {
      ...(o.executors !== undefined && { count: o.executors }),
      ...(o.executorMode !== undefined && { mode: o.executorMode }),
      ...(o.discoverExecutors && { discover: true }),
    };
    const config = loadConfig({
      file: o.config,
      overrides: { host: o.host, port: o.port, database: o.database, demo: o.demo, tls: tlsFlags(o), catalog: o.catalogRoot ? { root: o.catalogRoot } : undefined, executors: Object.keys(executors).length > 0 ? executors : undefined, registry: o.redis ? { redisUrl: o.redis } : undefined },
    });
    await serveCommand(config);
  });

/** The options every client command takes: where the server is and who logs in. */
function withServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'server host', process.env.SKEIN_HOST ?? '127.0.0.1')
    .option('--port <port>', 'server port', port, Number(process.env.SKEIN_PORT ?? 31337))
    .option('-u, --user <user>', 'user name (env SKEIN_USER)', process.env.SKEIN_USER ?? 'skein')
    .option('-p, --password <password>', 'password (env SKEIN_PASSWORD)', process.env.SKEIN_PASSWORD ?? 'skein')
    .option('--uri <uri>', 'server as grpc://host:port or grpc+tls://host:port (instead of --host/--port)')
    .option('--tls-ca <file>', 'TLS: trust this PEM CA (implies TLS; default: the system CAs)')
    .option('--tls-cert <file>', 'mutual TLS: client certificate (PEM)')
    .option('--tls-key <file>', 'mutual TLS: client private key (PEM)');
}

withServerOptions(program.command('query'))
  .description('run SQL against a Skein (or any Flight SQL) server and print the result')
  .argument('<sql>', 'the statement to run')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'csv', 'json', 'arrow']).default('table'))
  .option('--update', 'run as an update (DDL/DML) and print the row count')
  .action(
    async (
      text: string,
      o: QueryTargetFlags & { user: string; password: string; format: string; update?: boolean },
    ) => {
      const client = new FlightSqlClient({ ...queryTarget(o), user: o.user, password: o.password });
      try {
        await client.authenticate();
        if (o.update) {
          process.stdout.write(`${await client.update(text)} row(s) changed\n`);
          return;
        }
        const reader = await client.query(text);
        const out = process.stdout;
        if (o.format === 'csv') await writeCsv(reader, reader.schema, out);
        else if (o.format === 'json') await writeJsonLines(reader, reader.schema, out);
        else if (o.format === 'arrow') await writeArrow(reader, reader.schema, out);
        else await writeTable(reader, reader.schema, out);
      } finally {
        client.close();
      }
    },
  );

withServerOptions(program.command('explain'))
  .description("show how Skein runs a query: its distributed plan (or DuckDB's own plan for a local query)")
  .argument('<sql>', 'the query to explain')
  .option('--analyze', 'run the query and add what it did (EXPLAIN ANALYZE)')
  .option('--mermaid', 'print only the Mermaid flowchart of the plan')
  .action(async (text: string, o: QueryTargetFlags & { user: string; password: string; analyze?: boolean; mermaid?: boolean }) => {
    const client = new FlightSqlClient({ ...queryTarget(o), user: o.user, password: o.password });
    try {
      await client.authenticate();
      const reader = await client.query(`EXPLAIN ${o.analyze ? 'ANALYZE ' : ''}${text}`);
      for await (const batch of reader) {
        for (let i = 0; i < batch.numRows; i++) {
          const key = String(batch.getChildAt(0)?.get(i) ?? '');
          const value = String(batch.getChildAt(1)?.get(i) ?? '');
          if (o.mermaid) {
            if (key === 'mermaid') process.stdout.write(`${value}\n`);
          } else {
            process.stdout.write(`── ${key}\n${value}\n\n`);
          }
        }
      }
    } finally {
      client.close();
    }
  });

addExecutorCommand(program);
addLogCommand(program);

program
  .command('hash-password')
  .description('print a password hash for the "passwordHash" field of a user in the config file')
  .argument('<password>')
  .action((pw: string) => {
    process.stdout.write(`${hashPassword(pw)}\n`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`skein: ${e.message}\n`);
    process.exit(2);
  }
  const err = e as { code?: number; details?: string; message?: string };
  process.stderr.write(`skein: ${err.details ?? err.message ?? String(e)}\n`);
  process.exit(1);
});
