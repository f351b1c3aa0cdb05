// Merge semantics of the built-in kinds' fields: the patchStrategy/patchMergeKey and
// listType/listMapKey/mapType/structType markers on the k8s.io/api v1.35 Go types. The OpenAPI
// generator publishes them as x-kubernetes-* extensions (kubectl builds strategic merge patches
// from them) and the patch engine reads the same facts here. Data only, runtime-free.

export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';

/** How one field merges. A list field without an entry is atomic (replaced whole). */
export interface FieldSemantics {
  /** Strategic merge patch strategy (`x-kubernetes-patch-strategy`). */
  readonly patchStrategy?: PatchStrategy;
  /** Strategic merge patch key of list items (`x-kubernetes-patch-merge-key`). */
  readonly patchMergeKey?: string;
  /** Server-side apply list semantics (`x-kubernetes-list-type`). */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** Server-side apply keys of a `map` list (`x-kubernetes-list-map-keys`). */
  readonly listMapKeys?: readonly string[];
  /** Server-side apply semantics of a map-valued field (`x-kubernetes-map-type`). */
  readonly mapType?: 'atomic' | 'granular';
}

const ATOMIC_LIST: FieldSemantics = { listType: 'atomic' };

/** A list merged by `key` in both strategic merge patch and server-side apply. */
function keyed(key: string, mapKeys: readonly string[] = [key]): FieldSemantics {
  return { patchStrategy: 'merge', patchMergeKey: key, listType: 'map', listMapKeys: mapKeys };
}

const conditions = keyed('type');
const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

/** The container fields shared by Container and EphemeralContainer. */
const containerFields: Record<string, FieldSemantics> = {
  ports: keyed('containerPort', ['containerPort', 'protocol']),
  env: keyed('name'),
  volumeMounts: keyed('mountPath'),
  volumeDevices: keyed('devicePath'),
};

const FIELDS: Readonly<Record<string, Readonly<Record<string, FieldSemantics>>>> = {
  [`${meta}ObjectMeta`]: {
    ownerReferences: keyed('uid'),
    finalizers: { patchStrategy: 'merge', listType: 'set' },
  },

  [`${core}PodSpec`]: {
    containers: keyed('name'),
    initContainers: keyed('name'),
    ephemeralContainers: keyed('name'),
    volumes: { ...keyed('name'), patchStrategy: 'merge,retainKeys' },
    imagePullSecrets: keyed('name'),
    hostAliases: keyed('ip'),
    topologySpreadConstraints: keyed('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: keyed('name'),
    resourceClaims: { ...keyed('name'), patchStrategy: 'merge,retainKeys' },
    nodeSelector: { mapType: 'atomic' },
  },
  [`${core}Container`]: containerFields,
  [`${core}EphemeralContainer`]: containerFields,
  [`${core}ContainerStatus`]: {
    volumeMounts: keyed('mountPath'),
    allocatedResourcesStatus: keyed('name'),
  },
  [`${core}ResourceRequirements`]: {
    claims: { listType: 'map', listMapKeys: ['name'] },
  },
  [`${core}ResourceStatus`]: {
    resources: { listType: 'map', listMapKeys: ['resourceID'] },
  },
  [`${core}ContainerRestartRuleOnExitCodes`]: { values: { listType: 'set' } },
  [`${core}PodStatus`]: {
    conditions,
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: keyed('ip'),
    resourceClaimStatuses: { ...keyed('name'), patchStrategy: 'merge,retainKeys' },
  },
  [`${core}ServiceSpec`]: {
    ports: keyed('port', ['port', 'protocol']),
    selector: { mapType: 'atomic' },
  },
  [`${core}ServiceStatus`]: { conditions },
  [`${core}ServiceAccount`]: { secrets: keyed('name') },
  [`${core}ReplicationControllerSpec`]: { selector: { mapType: 'atomic' } },
  [`${core}ReplicationControllerStatus`]: { conditions },
  [`${core}PersistentVolumeClaimStatus`]: {
    conditions,
    allocatedResourceStatuses: { mapType: 'granular' },
  },
  [`${core}NodeSpec`]: { podCIDRs: { patchStrategy: 'merge', listType: 'set' } },
  [`${core}NodeStatus`]: { conditions, addresses: keyed('type') },
  [`${core}NamespaceStatus`]: { conditions },
  [`${core}ComponentStatus`]: { conditions },

  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { patchStrategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions },

  'io.k8s.api.batch.v1.JobStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: { listType: 'set' } },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': {
    succeeded: { listType: 'set' },
    failed: { listType: 'set' },
  },

  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { patchStrategy: 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions },
  'io.k8s.api.networking.v1.ServiceCIDRStatus': { conditions },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: { listType: 'set' } },
  'io.k8s.api.node.v1.Scheduling': { nodeSelector: { mapType: 'atomic' } },
  'io.k8s.api.storage.v1.CSINodeSpec': { drivers: keyed('name') },
  'io.k8s.api.storage.v1.CSIDriverSpec': { volumeLifecycleModes: { listType: 'set' } },
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.resource.v1.ResourceClaimStatus': {
    reservedFor: keyed('uid'),
    devices: { listType: 'map', listMapKeys: ['driver', 'device', 'pool', 'shareID'] },
  },
  'io.k8s.api.resource.v1.AllocatedDeviceStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.flowcontrol.v1.FlowSchemaStatus': { conditions },
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationStatus': { conditions },
  'io.k8s.api.flowcontrol.v1.ResourcePolicyRule': {
    verbs: { listType: 'set' },
    apiGroups: { listType: 'set' },
    resources: { listType: 'set' },
    namespaces: { listType: 'set' },
  },
  'io.k8s.api.flowcontrol.v1.NonResourcePolicyRule': {
    verbs: { listType: 'set' },
    nonResourceURLs: { listType: 'set' },
  },

  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': { webhooks: keyed('name') },
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': { webhooks: keyed('name') },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': { matchConditions: keyed('name') },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': { matchConditions: keyed('name') },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    matchConditions: keyed('name'),
    variables: keyed('name'),
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec': {
    validationActions: { listType: 'set' },
  },

  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus': {
    conditions: { listType: 'map', listMapKeys: ['type'] },
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': {
    'x-kubernetes-validations': keyed('rule'),
  },
};

/**
 * Definitions whose objects are replaced whole by server-side apply (`+structType=atomic`,
 * published as `x-kubernetes-map-type: atomic`).
 */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  `${meta}OwnerReference`,
  `${meta}LabelSelector`,
  `${core}SecretReference`,
  `${core}FileKeySelector`,
  `${core}ObjectFieldSelector`,
  `${core}ResourceFieldSelector`,
  `${core}ConfigMapKeySelector`,
  `${core}SecretKeySelector`,
  `${core}NodeSelector`,
  `${core}NodeSelectorTerm`,
  `${core}TopologySelectorTerm`,
  `${core}EndpointAddress`,
  `${core}EndpointPort`,
  `${core}ObjectReference`,
  `${core}LocalObjectReference`,
  `${core}TypedLocalObjectReference`,
  `${core}ScopeSelector`,
  'io.k8s.api.networking.v1.ServiceBackendPort',
  'io.k8s.api.discovery.v1.EndpointPort',
  'io.k8s.api.rbac.v1.Subject',
  'io.k8s.api.rbac.v1.RoleRef',
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.admissionregistration.v1.ParamKind',
  'io.k8s.api.admissionregistration.v1.Variable',
  'io.k8s.api.admissionregistration.v1.ParamRef',
  'io.k8s.api.admissionregistration.v1.MatchResources',
  'io.k8s.api.admissionregistration.v1.NamedRuleWithOperations',
]);

/**
 * The merge semantics of `fieldName` in the definition `definitionName` (upstream OpenAPI name,
 * e.g. `io.k8s.api.core.v1.PodSpec`, `containers`), or undefined when the field has none: a list
 * is then atomic (replaced whole) and an object merges key by key.
 */
export function listSemanticsFor(
  definitionName: string,
  fieldName: string,
): FieldSemantics | undefined {
  const fields = FIELDS[definitionName];
  return fields && Object.hasOwn(fields, fieldName) ? fields[fieldName] : undefined;
}

/** Like listSemanticsFor, but an unlisted list field reports `listType: 'atomic'`. */
export function listSemanticsOrAtomic(definitionName: string, fieldName: string): FieldSemantics {
  return listSemanticsFor(definitionName, fieldName) ?? ATOMIC_LIST;
}

/** `'atomic'` when server-side apply treats objects of this definition as one value. */
export function structTypeFor(definitionName: string): 'atomic' | undefined {
  return ATOMIC_STRUCTS.has(definitionName) ? 'atomic' : undefined;
}

/** Every definition with field entries, for tools that publish or check the whole table. */
export function definitionsWithFieldSemantics(): string[] {
  return Object.keys(FIELDS);
}
