// NamespaceLifecycle admission (plugin/pkg/admission/namespace/lifecycle): no new objects in a
// namespace that does not exist or is being deleted, and the system namespaces cannot be deleted.
import { StatusError, forbidden, notFound } from '../../api/status.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/rest.ts';
import type { KubeObject } from '../../api/types.ts';

export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

export function namespaceLifecycle(
  getNamespace: (name: string) => KubeObject | undefined,
): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    validate(request: AdmissionRequest) {
      const { info } = request;
      if (request.operation === 'DELETE' && info.group === '' && info.kind === 'Namespace') {
        if (IMMORTAL_NAMESPACES.includes(request.name)) {
          throw forbidden(
            `namespaces "${request.name}" is forbidden: this namespace may not be deleted`,
          );
        }
        return;
      }
      if (!info.namespaced || request.operation !== 'CREATE') return;
      const namespace = getNamespace(request.namespace);
      if (!namespace) throw notFound('namespaces', '', request.namespace);
      const terminating =
        namespace.metadata.deletionTimestamp ||
        (namespace.status as { phase?: string } | undefined)?.phase === 'Terminating';
      // Events may still be written while a namespace terminates (the lifecycle plugin exempts them).
      if (terminating && info.kind !== 'Event') {
        throw new StatusError(
          403,
          'Forbidden',
          `${info.plural}${info.group ? `.${info.group}` : ''} "${request.name}" is forbidden: unable to create new content in namespace ${request.namespace} because it is being terminated`,
          {
            name: request.name,
            group: info.group || undefined,
            kind: info.plural,
            causes: [
              {
                reason: 'NamespaceTerminating',
                message: `namespace ${request.namespace} is being terminated`,
                field: 'metadata.namespace',
              },
            ],
          },
        );
      }
    },
  };
}
