import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { toParam } from '../../core/contracts/zod-messages.ts';
import { GatewayError, toGatewayError } from '../../core/errors/gateway-error.ts';
import type { ErrorBody } from './openai-schemas.ts';

/** fastify's own refusals of a request body, in words a person understands. */
const bodyErrors: Record<string, GatewayError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: new GatewayError('invalid_json', 'The request body is not valid JSON.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: new GatewayError('invalid_json', 'The request body is empty; send a JSON object.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: new GatewayError(
    'unsupported_media_type',
    'Unsupported Content-Type; send the body as application/json.',
  ),
  // Where the route's limit is unknown; toHttpError names it when given.
  FST_ERR_CTP_BODY_TOO_LARGE: new GatewayError('payload_too_large', 'The request body is too large.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: new GatewayError(
    'invalid_request',
    'The Content-Length header does not match the body.',
  ),
};

/** A 413 that names the route's limit, so the sender knows how much to cut. */
function bodyTooLarge(limitBytes: number): GatewayError {
  const size = limitBytes >= 1024 * 1024 ? `${+(limitBytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(limitBytes / 1024)} KiB`;
  return new GatewayError('payload_too_large', `The request body is too large (at most ${size}).`);
}

/** A schema's refusal as a sentence that names the field: `Invalid request body: messages[0].role: is required.` */
export function schemaRefusal(what: string, path: string | readonly PropertyKey[] | undefined, message: string | undefined): GatewayError {
  const param = path === undefined ? null : toParam(path);
  return new GatewayError('invalid_request', `${what}: ${param ? `${param}: ` : ''}${message ?? 'does not match the schema'}.`, { param: param ?? undefined });
}

/**
 * The one place that turns anything thrown while serving HTTP into a status and an OpenAI error body.
 * `bodyLimit`, the route's, lets a 413 name it.
 */
export function toHttpError(thrown: unknown, requestId: string, { bodyLimit }: { bodyLimit?: number } = {}): { status: number; body: ErrorBody } {
  const tooLarge = bodyLimit !== undefined && (thrown as Partial<FastifyError>).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
  const error = tooLarge ? bodyTooLarge(bodyLimit) : classify(thrown);
  return {
    status: error.status,
    body: {
      error: {
        message: `${error.message} (request id: ${requestId})`,
        type: error.type,
        param: error.param,
        code: error.code,
      },
    },
  };
}

/** Which part of the request a schema refused (fastify's `validationContext`), as the refusal names it. */
const invalidPart: Record<string, string> = {
  body: 'Invalid request body',
  querystring: 'Invalid query parameter',
  params: 'Invalid path parameter',
  headers: 'Invalid header',
};

function classify(thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  if (hasZodFastifySchemaValidationErrors(thrown)) {
    const [first] = thrown.validation;
    return schemaRefusal(invalidPart[(thrown as { validationContext?: string }).validationContext ?? 'body'] ?? 'Invalid request', first?.instancePath, first?.message);
  }
  const fastifyError = thrown as Partial<FastifyError>;
  const known = fastifyError.code ? bodyErrors[fastifyError.code] : undefined;
  if (known) return known;
  // @fastify/static refuses a path that climbs out of its folder with a 403: to the client, no such file.
  if (fastifyError.statusCode === 403 || fastifyError.statusCode === 404) return new GatewayError('not_found', 'There is no such file or route.');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new GatewayError('invalid_request', fastifyError.message ?? 'The request is invalid.');
  }
  return toGatewayError(thrown);
}
