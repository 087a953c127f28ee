import type { Duplex } from 'node:stream';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { toHttpError } from './error-body.ts';
import { securityHeaders } from './security-headers.ts';

/**
 * Requests refused before fastify's routes see them: by Node (headers too large, too slow, not HTTP at
 * all, a bad `Expect`), by fastify's router (a URL it cannot decode) or by `ws` (a malformed WebSocket
 * upgrade). Each is answered in the same OpenAI error shape as every other refusal, with the same
 * security headers, instead of an empty body, fastify's `{statusCode, error}` or `ws`'s HTML.
 */

/** Node's limit on a request's headers (its default, kept: 16 KiB), named in the 431 it causes. */
export const maxHeaderBytes = 16 * 1024;
/** How long a client may take to send its whole request (headers and body); slow senders hold sockets. */
export const requestTimeoutMs = 30_000;
/** The longest path segment (an id in the URL) the router accepts; the schemas allow ids up to 220. */
export const maxPathSegmentChars = 256;

const refusals: Record<string, () => GatewayError> = {
  HPE_HEADER_OVERFLOW: () => new GatewayError('headers_too_large', `The request headers are too large (at most ${maxHeaderBytes / 1024} KiB in all).`),
  ERR_HTTP_REQUEST_TIMEOUT: () => new GatewayError('request_timeout', `The request was not sent in full within ${requestTimeoutMs / 1000} s.`),
};

/** A refusal made before any request id exists: its status, headers (the connection closes after it) and JSON body. */
function closingRefusal(refusal: GatewayError) {
  const { status, body } = toHttpError(refusal, 'none');
  const json = JSON.stringify(body);
  const headers = { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), connection: 'close' };
  return { status, headers, json };
}

/** A refusal written straight to a socket that no ServerResponse owns, then the socket closed. */
function writeRefusal(socket: Duplex, refusal: GatewayError): void {
  const { status, headers, json } = closingRefusal(refusal);
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  endSoon(socket, `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${json}`);
}

/** Ends a socket after what it still has to write, and destroys it once that is sent. */
function endSoon(socket: Duplex, last?: string): void {
  if (socket.writable) socket.end(last);
  socket.once('finish', () => socket.destroy()).once('error', () => socket.destroy());
  // A peer that reads nothing never lets the answer finish: it gets a second, then the socket goes.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Node's `clientError`: a request it could not parse or that broke a limit. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The request was already answered (a 417 to its Expect) and its body then broke: a second, unasked
  // answer on the socket would be read as the next request's. Node's own handler checks the same way.
  if ((socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent) return endSoon(socket);
  writeRefusal(socket, refusals[error.code ?? '']?.() ?? new GatewayError('invalid_request', 'The request is not well-formed HTTP.'));
}

/** Node's `checkExpectation`: an `Expect` other than `100-continue` (Node itself would send a bare 417). */
export function answerBadExpectation(request: IncomingMessage, response: ServerResponse): void {
  const refusal = new GatewayError('expectation_failed', 'The Expect header is not supported; the only expectation understood is "100-continue".');
  const { status, headers, json } = closingRefusal(refusal);
  response.writeHead(status, headers).end(json);
  request.resume();
}

/** `ws`'s `wsClientError`: an upgrade to /v1/ws it will not accept, with its reason (a missing key, a bad version). */
export function answerUpgradeRefusal(error: Error, socket: Duplex): void {
  const reason = error.message.replace(/^./, (first) => first.toLowerCase());
  writeRefusal(socket, new GatewayError('invalid_request', `The WebSocket upgrade was refused: ${reason}.`));
}

/** fastify's `frameworkErrors`: a path its router cannot decode, or a segment over maxPathSegmentChars. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const refusal =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new GatewayError('uri_too_long', `A segment of the URL path is longer than ${maxPathSegmentChars} characters.`)
      : new GatewayError('invalid_request', 'The URL path is not valid: a "%" must begin an escape such as %20.');
  const { status, body } = toHttpError(refusal, request.id);
  closeAfterAnswerIfUpgrade(request, reply);
  request.log.info({ code: body.error.code }, 'request refused');
  void reply.code(status).headers({ ...securityHeaders, 'x-request-id': request.id }).send(body);
}

/**
 * An upgrade request that a route answers as plain HTTP (a 404, a refusal, /health) leaves a socket
 * that Node no longer manages: no keep-alive, no timeout. Close it once the answer is written.
 */
export function closeAfterAnswerIfUpgrade(request: FastifyRequest, reply: FastifyReply): void {
  // Node's test for an upgrade, which it hands to the 'upgrade' listener @fastify/websocket keeps.
  const upgrade = request.headers.upgrade !== undefined && /\bupgrade\b/i.test(request.headers.connection ?? '');
  if (upgrade) reply.raw.once('finish', () => request.raw.socket.destroySoon());
}
