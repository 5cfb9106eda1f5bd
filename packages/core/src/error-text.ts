/** The message of an error (any thrown value), for warnings and process logs. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
