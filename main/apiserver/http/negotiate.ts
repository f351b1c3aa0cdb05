// Response content negotiation (apiserver pkg/endpoints/handlers/negotiation): plain JSON, or the
// meta.k8s.io Table / PartialObjectMetadata forms kubectl and metadata informers ask for.

export type Rendering =
  | { as: 'object' }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' };

export function renderingFor(accept: string | undefined): Rendering {
  if (!accept) return { as: 'object' };
  for (const clause of accept.split(',')) {
    const [media, ...params] = clause.split(';').map((p) => p.trim());
    if (media !== 'application/json' && media !== '*/*' && media !== 'application/*') continue;
    const map = new Map(params.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    const as = map.get('as');
    if (!as) return { as: 'object' };
    const group = map.get('g');
    const version = map.get('v');
    if (group !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
    if (as === 'Table') return { as: 'Table', version };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList')
      return { as: 'PartialObjectMetadata', version };
  }
  return { as: 'object' };
}
