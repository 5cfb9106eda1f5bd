/** `JobResources` as Kubernetes resource quantities. */

/** A CPU quantity: millicores as `"<n>m"` (2500 → `"2500m"`). */
export function kubernetesCpuQuantity(cpuMillicores: number): string {
  return `${cpuMillicores}m`;
}

/**
 * A memory quantity in the largest binary unit that divides it exactly
 * (1073741824 → `"1Gi"`, 1048576000 → `"1000Mi"`, 3072 → `"3Ki"`, 1000 → `"1000"`), so
 * the value Kubernetes shows is the one the spec asked for.
 */
export function kubernetesMemoryQuantity(memoryBytes: number): string {
  const units: [string, number][] = [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ];
  for (const [unit, size] of units) if (memoryBytes % size === 0) return `${memoryBytes / size}${unit}`;
  return String(memoryBytes);
}
