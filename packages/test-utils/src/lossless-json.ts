// Test data (the recorded exchanges) is parsed with the Colonies client's own
// lossless JSON, so there is one parser to keep exact, not two.
export { parseLosslessJson, stringifyLosslessJson, type JsonValue as LosslessJsonValue } from '@pollinator/colonies-client';
