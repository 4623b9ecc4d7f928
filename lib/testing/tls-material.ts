import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onProcessExit } from './cleanup.js';

const run = promisify(execFile);

/** TLS files for one server, as Buffers (for `tls.connect`) and paths (for redis-cli / `sslCafile`). */
export interface TlsMaterial {
  /** The test CA that signed every certificate below. */
  ca: Buffer;
  /** The server's certificate and key. */
  cert: Buffer;
  key: Buffer;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A client certificate signed by the same CA (the servers run `tls-auth-clients optional`). */
  clientCert: Buffer;
  clientKey: Buffer;
  clientCertFile: string;
  clientKeyFile: string;
  /** True when `cert` is the one whose only SAN is DNS:other.invalid (hostname checks must fail). */
  hostMismatch: boolean;
}

interface Pair {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

interface Bundle {
  ca: Pair;
  server: Pair;
  wrongHost: Pair;
  client: Pair;
}

// One config with a section per certificate kind; `-subj` supplies each subject.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
[wrong_host_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:other.invalid
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

// EC P-256 keys: generating them takes milliseconds where RSA takes a noticeable while.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir, timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed while generating test TLS material: ${stderr || (error as Error).message}`);
  }
}

function pair(dir: string, name: string): Pair {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}

async function signed(dir: string, name: string, subject: string, extensions: string): Promise<Pair> {
  await openssl(dir, ['req', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-config', 'openssl.cnf']);
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)),
    '-days', '3650', '-sha256', '-extfile', 'openssl.cnf', '-extensions', extensions, '-out', `${name}.crt`,
  ]);
  return pair(dir, name);
}

async function generate(): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'justredis-tls-'));
  const unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
    await openssl(dir, [
      'req', '-x509', '-new', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-sha256',
      '-subj', '/CN=nestjs-justredis test CA', '-config', 'openssl.cnf', '-extensions', 'ca_ext',
    ]);
    const [server, wrongHost, client] = await Promise.all([
      signed(dir, 'server', '/CN=localhost', 'server_ext'),
      signed(dir, 'wrong-host', '/CN=other.invalid', 'wrong_host_ext'),
      signed(dir, 'client', '/CN=nestjs-justredis test client', 'client_ext'),
    ]);
    return { ca: pair(dir, 'ca'), server, wrongHost, client };
  } catch (error) {
    unregister();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

let cached: Promise<Bundle> | undefined;

/**
 * The test CA, server, wrong-host and client certificates, generated with `openssl` the
 * first time and then reused for the rest of the process (the files stay until exit, as
 * servers read them again on restart).
 */
export async function getTlsMaterial(options: { hostMismatch?: boolean } = {}): Promise<TlsMaterial> {
  cached ??= generate();
  cached.catch(() => (cached = undefined)); // a failure is not cached: the next call retries
  const bundle = await cached;
  const server = options.hostMismatch ? bundle.wrongHost : bundle.server;
  return {
    ca: bundle.ca.cert,
    caFile: bundle.ca.certFile,
    cert: server.cert,
    key: server.key,
    certFile: server.certFile,
    keyFile: server.keyFile,
    clientCert: bundle.client.cert,
    clientKey: bundle.client.key,
    clientCertFile: bundle.client.certFile,
    clientKeyFile: bundle.client.keyFile,
    hostMismatch: options.hostMismatch ?? false,
  };
}
