/** Whose data a read may see. Every repository read takes one. */
export type TenantScope = { kind: 'tenant'; tenantId: string } | { kind: 'all' };

export const ALL_TENANTS: TenantScope = { kind: 'all' };

export function tenantScope(tenantId: string): TenantScope {
  return { kind: 'tenant', tenantId };
}
