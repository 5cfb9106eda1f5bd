// The resource grammar lives once, in @pollinator/backend (the spec builder and
// the backends use it too); core keeps exporting it from validate-spec.
export { parseCpuMillicores, parseMemoryBytes } from '@pollinator/backend';
