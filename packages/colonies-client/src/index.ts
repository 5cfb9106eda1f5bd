export { ColoniesClient, createColoniesClient, completeSpec, type ColoniesClientOptions } from './client';
export { loadColoniesConfig, type ColoniesConfig, type LoadColoniesConfigOptions } from './config';
export {
  ColoniesAbortError,
  ColoniesArgumentError,
  ColoniesBadReplyError,
  ColoniesClientError,
  ColoniesConfigError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
  isRetryableStatus,
  UnreadableProcessError,
  type ColoniesErrorCode,
  type ConfigIssue,
} from './errors';
export { decodePayload, decodeReply, encodeRequest, type ReplyEnvelope, type RequestEnvelope } from './envelope';
export type { FollowLogsOptions } from './follow-logs';
export { parseLosslessJson, parseLosslessJsonSlow, stringifyLosslessJson } from './lossless-json';
export type {
  SubscribeProcessesOptions,
  SubscribeProcessOptions,
  WaitForProcessOptions,
  WatchProcessOptions,
} from './pubsub';
export { createInsecureHttpsFetch, createNodeFetch, type CallOptions, type FetchLike, type RetryEvent, type RetryOptions } from './transport';
export * from './types';
