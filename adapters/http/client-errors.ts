import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { toHttpError } from './error-body.ts';

/** Node's limit on a request's headers (its default, kept: 16 KiB), named in the 431 it causes. */
export const maxHeaderBytes = 16 * 1024;
/** How long a client may take to send its whole request (headers and body); slow senders hold sockets. */
export const requestTimeoutMs = 30_000;

const refusals: Record<string, () => GatewayError> = {
  HPE_HEADER_OVERFLOW: () => new GatewayError('headers_too_large', `The request headers are too large (at most ${maxHeaderBytes / 1024} KiB in all).`),
  ERR_HTTP_REQUEST_TIMEOUT: () => new GatewayError('request_timeout', `The request was not sent in full within ${requestTimeoutMs / 1000} s.`),
};

/**
 * Requests Node refuses before fastify sees them (headers too large, too slow, not HTTP at all), answered
 * in the same OpenAI error shape as every other refusal, instead of fastify's own `{statusCode, error}`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = refusals[error.code ?? '']?.() ?? new GatewayError('invalid_request', 'The request is not well-formed HTTP.');
  const { status, body } = toHttpError(refusal, 'none');
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
