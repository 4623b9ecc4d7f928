import net from 'node:net';
import tls from 'node:tls';
import type { Address, ResolvedOptions } from '../options.js';
import { formatAddress } from '../options.js';
import { CommunicationError } from '../errors.js';

/** Transport settings a socket needs; a subset of the resolved options so cluster nodes can override TLS names. */
export type SocketSettings = Pick<
  ResolvedOptions,
  'socketFactory' | 'connectTimeout' | 'tcpKeepalive' | 'tcpNodelay' | 'tls'
>;

/**
 * Opens a TCP, TLS or unix socket and resolves once it is connected (TLS: once the
 * handshake verified the certificate). Transport only: knows nothing of RESP.
 * A certificate or host-name the TLS check refuses rejects with code `ERR_TLS_VERIFY`
 * (certain: not worth a retry), any other failure with `ERR_CONNECT`.
 * Aborting `signal` destroys the socket and rejects with `signal.reason`.
 */
export function openSocket(address: Address, settings: SocketSettings, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let socket: net.Socket;
    const isUnix = typeof address === 'string';
    const where = formatAddress(address);
    if (isUnix) {
      socket = net.connect({ path: address });
    } else if (settings.socketFactory === 'ssl') {
      const [host, port] = address;
      const options: tls.ConnectionOptions = { ...settings.tls, host, port };
      // SNI must not carry an IP address (RFC 6066); node warns and servers may reject it.
      if (options.servername === undefined && net.isIP(host) === 0) options.servername = host;
      socket = tls.connect(options);
    } else {
      const [host, port] = address;
      socket = net.connect({ host, port });
    }

    let timer: NodeJS.Timeout | undefined;
    const connectEvent = socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener(connectEvent, onConnect);
      signal?.removeEventListener('abort', onAbort);
    };
    // The owner closed while connecting: no socket may outlive its close().
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(signal!.reason);
    };
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      // Node sets `authorizationError` when the certificate or host-name check refused the
      // server (and only then): the same server will be refused again, so say it is certain.
      if (socket instanceof tls.TLSSocket && socket.authorizationError != null) {
        reject(new CommunicationError(`TLS verification of ${where} failed: ${err.message}`, { cause: err, code: 'ERR_TLS_VERIFY' }));
        return;
      }
      reject(new CommunicationError(`Could not connect to ${where}: ${err.message}`, { cause: err, code: 'ERR_CONNECT' }));
    };
    const onConnect = () => {
      cleanup();
      if (!isUnix) {
        socket.setNoDelay(settings.tcpNodelay);
        if (settings.tcpKeepalive !== false) socket.setKeepAlive(true, settings.tcpKeepalive);
      }
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once(connectEvent, onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (settings.connectTimeout !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new CommunicationError(`Connecting to ${where} timed out after ${settings.connectTimeout} ms`, { code: 'ERR_CONNECT_TIMEOUT' }));
      }, settings.connectTimeout);
    }
  });
}
