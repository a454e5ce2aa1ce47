// Where `skein query` connects: --host/--port or a --uri (grpc://, grpc+tcp://, grpc+tls://), and,
// for TLS, the CA to trust and an optional client certificate for mutual TLS.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import { ClientOptions } from '../flight/client';

export interface QueryTargetFlags {
  host: string;
  port: number;
  uri?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${flag} file ${path}: ${(e as Error).message}`);
  }
}

export function queryTarget(o: QueryTargetFlags): Pick<ClientOptions, 'host' | 'port' | 'tls'> {
  let { host, port } = o;
  let scheme: string | undefined;
  if (o.uri !== undefined) {
    const m = /^(grpc|grpc\+tcp|grpc\+tls):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(o.uri);
    if (!m) throw new ConfigError(`--uri must look like grpc://host:port or grpc+tls://host:port, got "${o.uri}"`);
    [, scheme, host] = m;
    port = Number(m[3]);
  }
  const tlsFlags = o.tlsCa !== undefined || o.tlsCert !== undefined || o.tlsKey !== undefined;
  if (scheme !== undefined && scheme !== 'grpc+tls' && tlsFlags) {
    throw new ConfigError(`--tls-* options need a grpc+tls:// URI, not ${scheme}://`);
  }
  if (scheme !== 'grpc+tls' && !tlsFlags) return { host, port };
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together (the client certificate and its key)');
  }
  return {
    host,
    port,
    tls: {
      rootCerts: o.tlsCa !== undefined ? readFlagFile('--tls-ca', o.tlsCa) : undefined,
      certChain: o.tlsCert !== undefined ? readFlagFile('--tls-cert', o.tlsCert) : undefined,
      privateKey: o.tlsKey !== undefined ? readFlagFile('--tls-key', o.tlsKey) : undefined,
    },
  };
}
