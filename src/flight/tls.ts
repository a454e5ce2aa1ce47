// gRPC server credentials from the `tls` config: plain TCP when absent, TLS from a certificate and
// key, and mutual TLS when a client CA is set. Files are checked up front so a bad path, a key that
// does not belong to the certificate or a broken CA file stops start-up with a message naming it.
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { Config } from '../config';
import { ConfigError } from '../errors';
import { log } from '../log';

export type TlsConfig = NonNullable<Config['tls']>;

/** Whether clients must present a certificate signed by `clientCaFile` (default: yes when one is set). */
export function requiresClientCert(tls: TlsConfig): boolean {
  return tls.requireClientCert ?? tls.clientCaFile !== undefined;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read TLS ${what} file ${path}: ${(e as Error).message}`);
  }
}

function certificateOf(pem: Buffer, path: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new ConfigError(`TLS ${what} file ${path} holds no PEM certificate: ${(e as Error).message}`);
  }
}

function privateKeyOf(pem: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new ConfigError(
      `TLS key file ${path} holds no usable private key (PEM, unencrypted): ${(e as Error).message}`,
    );
  }
}

/** Reads and checks the TLS files; the credentials `FlightSqlServer.listen` binds with. */
export function serverCredentials(tls: TlsConfig | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const certPem = readPem(tls.certFile, 'certificate');
  const keyPem = readPem(tls.keyFile, 'key');
  const cert = certificateOf(certPem, tls.certFile, 'certificate');
  if (!cert.checkPrivateKey(privateKeyOf(keyPem, tls.keyFile))) {
    throw new ConfigError(
      `TLS key file ${tls.keyFile} does not match the certificate in ${tls.certFile}`,
    );
  }
  if (Date.parse(cert.validTo) < Date.now()) {
    log.warn({ certFile: tls.certFile, validTo: cert.validTo }, 'the TLS certificate has expired');
  }
  const mutual = requiresClientCert(tls);
  let ca: Buffer | null = null;
  if (mutual) {
    if (!tls.clientCaFile) {
      throw new ConfigError('tls.requireClientCert needs tls.clientCaFile (the CA that signs client certificates)');
    }
    ca = readPem(tls.clientCaFile, 'client CA');
    certificateOf(ca, tls.clientCaFile, 'client CA');
  }
  return ServerCredentials.createSsl(ca, [{ cert_chain: certPem, private_key: keyPem }], mutual);
}
