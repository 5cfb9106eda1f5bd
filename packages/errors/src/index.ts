export { defineErrorMarker, hasErrorMarker, POLLINATOR_ERROR_MARKER, type ErrorMarker } from './error-marker';
export { PollinatorError, type ErrorDetails, type PollinatorErrorOptions } from './pollinator-error';
