/** Who is calling, as established by origin/auth (edge signature, a direct key, or nobody). */
export interface TenantContext {
  id: string;
  via: 'edge' | 'key' | 'none';
  /** ISO country of the end user, as the edge saw it. */
  country?: string;
  /** Edge point of presence that forwarded the request. */
  pop?: string;
  /**
   * The tenant's model allow-list, when the origin enforces it itself (auth.mode=keys; behind an
   * edge, the edge has enforced it already). Absent or empty: every model.
   */
  models?: readonly string[];
}
