export { ColoniesClient } from './client';
export { createColoniesClient } from './create-client';
export type { ColoniesClientOptions } from './client-options';
export type { ColonyCallOptions } from './colony-call-options';
export {
  CHANNEL_LIMITS,
  channelRefusal,
  type ChannelAppend,
  type ChannelEntry,
  type ChannelRead,
  type ChannelRefusal,
} from './channel-calls';
export type { ChannelSubscription, ChannelSubscriptionEnd, SubscribeChannelOptions } from './channel-subscription';
export { completeSpec } from './complete-spec';
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
export {
  JsonTooDeepError,
  MAX_JSON_DEPTH,
  parseLosslessJson,
  parseLosslessJsonSlow,
  stringifyLosslessJson,
  type LosslessJsonOptions,
} from './lossless-json';
export type { ProcessesQuery } from './process-calls';
export type { ProcessListing } from './process-decoding';
export type {
  SubscribeProcessesOptions,
  SubscribeProcessOptions,
  WaitForProcessOptions,
  WatchProcessOptions,
} from './pubsub';
export {
  createInsecureHttpsFetch,
  createNodeFetch,
  DEFAULT_MAX_REPLY_BYTES,
  type CallOptions,
  type FetchLike,
  type FetchResponse,
  type RetryEvent,
  type RetryOptions,
} from './transport';
export * from './types';
