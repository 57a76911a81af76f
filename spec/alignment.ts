/** Alignment: every non-NULL result of every family is 16-byte aligned on x86-64. */
export const REQUIRED_ALIGNMENT = 16;

export function isAligned(addr: number): boolean {
  return addr % REQUIRED_ALIGNMENT === 0;
}
