export { errorCodes, isErrorCode, type ErrorCode } from './codes.ts';
export {
  GatewayError,
  toGatewayError,
  serializeError,
  deserializeError,
  type GatewayErrorOptions,
  type SerializedError,
} from './gateway-error.ts';
