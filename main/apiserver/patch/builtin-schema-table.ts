// Field facts of the built-in Kubernetes kinds that the patch engines need (k8s.io/api v0.35.7 Go
// types: patchStrategy/patchMergeKey tags and +listType/+listMapKey/+mapType/+structType markers).
// Read by patch-schema.ts. Only fields that differ from the default are listed: a missing field is
// a plain object merged key by key (a struct field), a scalar, or an atomic list (replaced whole).
//
// Field spec: `<shape>[:<type>] [flags…]`
//   S / s   struct field; S = Go non-pointer struct (always serialised, as {} when empty)
//   l / L   list; L = no omitempty (always serialised, as null when empty)
//   m / M   map whose keys are elements (values of <type>); M = no omitempty
//   x       untyped (RawExtension)
//   v       scalar (only listed when it has a patch strategy)
//   flags   atomic | set | map=<key>[,<key>]  (server-side apply list/map semantics)
//           smp=<patchStrategy>  key=<patchMergeKey>  (strategic merge patch tags)
// Type facts: atomic (+structType=atomic), defaults (field defaults used for list map keys).

export interface BuiltinTypeFacts {
  readonly atomic?: boolean;
  readonly defaults?: Readonly<Record<string, string | number | boolean>>;
  readonly fields?: Readonly<Record<string, string>>;
}

/** `group/version/Kind` ("v1/Pod" for the core group) → type name in BUILTIN_TYPES. */
export const BUILTIN_KINDS: Readonly<Record<string, string>> = {
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration':
    'admissionregistration/v1.MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy':
    'admissionregistration/v1.ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding':
    'admissionregistration/v1.ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':
    'admissionregistration/v1.ValidatingWebhookConfiguration',
  'apiextensions.k8s.io/v1/CustomResourceDefinition': 'apiextensions/v1.CustomResourceDefinition',
  'apps/v1/ControllerRevision': 'apps/v1.ControllerRevision',
  'apps/v1/DaemonSet': 'apps/v1.DaemonSet',
  'apps/v1/Deployment': 'apps/v1.Deployment',
  'apps/v1/ReplicaSet': 'apps/v1.ReplicaSet',
  'apps/v1/StatefulSet': 'apps/v1.StatefulSet',
  'authentication.k8s.io/v1/SelfSubjectReview': 'authentication/v1.SelfSubjectReview',
  'authentication.k8s.io/v1/TokenRequest': 'authentication/v1.TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'authentication/v1.TokenReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'authorization/v1.LocalSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'authorization/v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'authorization/v1.SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'authorization/v1.SubjectAccessReview',
  'autoscaling/v1/HorizontalPodAutoscaler': 'autoscaling/v1.HorizontalPodAutoscaler',
  'autoscaling/v1/Scale': 'autoscaling/v1.Scale',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscaling/v2.HorizontalPodAutoscaler',
  'batch/v1/CronJob': 'batch/v1.CronJob',
  'batch/v1/Job': 'batch/v1.Job',
  'certificates.k8s.io/v1/CertificateSigningRequest': 'certificates/v1.CertificateSigningRequest',
  'coordination.k8s.io/v1/Lease': 'coordination/v1.Lease',
  'discovery.k8s.io/v1/EndpointSlice': 'discovery/v1.EndpointSlice',
  'events.k8s.io/v1/Event': 'events/v1.Event',
  'networking.k8s.io/v1/IPAddress': 'networking/v1.IPAddress',
  'networking.k8s.io/v1/Ingress': 'networking/v1.Ingress',
  'networking.k8s.io/v1/IngressClass': 'networking/v1.IngressClass',
  'networking.k8s.io/v1/NetworkPolicy': 'networking/v1.NetworkPolicy',
  'networking.k8s.io/v1/ServiceCIDR': 'networking/v1.ServiceCIDR',
  'node.k8s.io/v1/RuntimeClass': 'node/v1.RuntimeClass',
  'policy/v1/Eviction': 'policy/v1.Eviction',
  'policy/v1/PodDisruptionBudget': 'policy/v1.PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac/v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac/v1.ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'rbac/v1.Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac/v1.RoleBinding',
  'scheduling.k8s.io/v1/PriorityClass': 'scheduling/v1.PriorityClass',
  'storage.k8s.io/v1/CSIDriver': 'storage/v1.CSIDriver',
  'storage.k8s.io/v1/CSINode': 'storage/v1.CSINode',
  'storage.k8s.io/v1/CSIStorageCapacity': 'storage/v1.CSIStorageCapacity',
  'storage.k8s.io/v1/StorageClass': 'storage/v1.StorageClass',
  'storage.k8s.io/v1/VolumeAttachment': 'storage/v1.VolumeAttachment',
  'storage.k8s.io/v1/VolumeAttributesClass': 'storage/v1.VolumeAttributesClass',
  'v1/Binding': 'core/v1.Binding',
  'v1/ComponentStatus': 'core/v1.ComponentStatus',
  'v1/ConfigMap': 'core/v1.ConfigMap',
  'v1/Endpoints': 'core/v1.Endpoints',
  'v1/Event': 'core/v1.Event',
  'v1/LimitRange': 'core/v1.LimitRange',
  'v1/Namespace': 'core/v1.Namespace',
  'v1/Node': 'core/v1.Node',
  'v1/PersistentVolume': 'core/v1.PersistentVolume',
  'v1/PersistentVolumeClaim': 'core/v1.PersistentVolumeClaim',
  'v1/Pod': 'core/v1.Pod',
  'v1/PodStatusResult': 'core/v1.PodStatusResult',
  'v1/PodTemplate': 'core/v1.PodTemplate',
  'v1/RangeAllocation': 'core/v1.RangeAllocation',
  'v1/ReplicationController': 'core/v1.ReplicationController',
  'v1/ResourceQuota': 'core/v1.ResourceQuota',
  'v1/Secret': 'core/v1.Secret',
  'v1/Service': 'core/v1.Service',
  'v1/ServiceAccount': 'core/v1.ServiceAccount',
};

export const BUILTIN_TYPES: Readonly<Record<string, BuiltinTypeFacts>> = {
  'admissionregistration/v1.MatchResources': {
    atomic: true,
    fields: {
      namespaceSelector: 's:meta/v1.LabelSelector',
      objectSelector: 's:meta/v1.LabelSelector',
    },
  },
  'admissionregistration/v1.MutatingWebhook': {
    fields: {
      admissionReviewVersions: 'L atomic',
      clientConfig: 'S',
      matchConditions: 'l map=name smp=merge key=name',
      namespaceSelector: 's:meta/v1.LabelSelector',
      objectSelector: 's:meta/v1.LabelSelector',
    },
  },
  'admissionregistration/v1.MutatingWebhookConfiguration': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      webhooks: 'l:admissionregistration/v1.MutatingWebhook map=name smp=merge key=name',
    },
  },
  'admissionregistration/v1.ParamKind': { atomic: true },
  'admissionregistration/v1.ParamRef': {
    atomic: true,
    fields: { selector: 's:meta/v1.LabelSelector' },
  },
  'admissionregistration/v1.ValidatingAdmissionPolicy': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:admissionregistration/v1.ValidatingAdmissionPolicySpec',
      status: 'S:admissionregistration/v1.ValidatingAdmissionPolicyStatus',
    },
  },
  'admissionregistration/v1.ValidatingAdmissionPolicyBinding': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:admissionregistration/v1.ValidatingAdmissionPolicyBindingSpec',
    },
  },
  'admissionregistration/v1.ValidatingAdmissionPolicyBindingSpec': {
    fields: {
      matchResources: 's:admissionregistration/v1.MatchResources',
      paramRef: 's:admissionregistration/v1.ParamRef',
      validationActions: 'l set',
    },
  },
  'admissionregistration/v1.ValidatingAdmissionPolicySpec': {
    fields: {
      matchConditions: 'l map=name smp=merge key=name',
      matchConstraints: 's:admissionregistration/v1.MatchResources',
      paramKind: 's:admissionregistration/v1.ParamKind',
      variables: 'l:admissionregistration/v1.Variable map=name smp=merge key=name',
    },
  },
  'admissionregistration/v1.ValidatingAdmissionPolicyStatus': {
    fields: { conditions: 'l map=type' },
  },
  'admissionregistration/v1.ValidatingWebhook': {
    fields: {
      admissionReviewVersions: 'L atomic',
      clientConfig: 'S',
      matchConditions: 'l map=name smp=merge key=name',
      namespaceSelector: 's:meta/v1.LabelSelector',
      objectSelector: 's:meta/v1.LabelSelector',
    },
  },
  'admissionregistration/v1.ValidatingWebhookConfiguration': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      webhooks: 'l:admissionregistration/v1.ValidatingWebhook map=name smp=merge key=name',
    },
  },
  'admissionregistration/v1.Variable': { atomic: true },
  'apiextensions/v1.CustomResourceConversion': {
    fields: { webhook: 's:apiextensions/v1.WebhookConversion' },
  },
  'apiextensions/v1.CustomResourceDefinition': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:apiextensions/v1.CustomResourceDefinitionSpec',
      status: 'S:apiextensions/v1.CustomResourceDefinitionStatus',
    },
  },
  'apiextensions/v1.CustomResourceDefinitionSpec': {
    fields: {
      conversion: 's:apiextensions/v1.CustomResourceConversion',
      names: 'S',
      versions: 'L atomic',
    },
  },
  'apiextensions/v1.CustomResourceDefinitionStatus': {
    fields: { acceptedNames: 'S', conditions: 'L map=type', storedVersions: 'L atomic' },
  },
  'apiextensions/v1.WebhookConversion': { fields: { conversionReviewVersions: 'L atomic' } },
  'apps/v1.ControllerRevision': { fields: { data: 'x', metadata: 'S:meta/v1.ObjectMeta' } },
  'apps/v1.DaemonSet': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:apps/v1.DaemonSetSpec',
      status: 'S:apps/v1.DaemonSetStatus',
    },
  },
  'apps/v1.DaemonSetSpec': {
    fields: {
      selector: 's:meta/v1.LabelSelector',
      template: 'S:core/v1.PodTemplateSpec',
      updateStrategy: 'S',
    },
  },
  'apps/v1.DaemonSetStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'apps/v1.Deployment': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:apps/v1.DeploymentSpec',
      status: 'S:apps/v1.DeploymentStatus',
    },
  },
  'apps/v1.DeploymentSpec': {
    fields: {
      selector: 's:meta/v1.LabelSelector',
      strategy: 'S smp=retainKeys',
      template: 'S:core/v1.PodTemplateSpec',
    },
  },
  'apps/v1.DeploymentStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'apps/v1.ReplicaSet': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:apps/v1.ReplicaSetSpec',
      status: 'S:apps/v1.ReplicaSetStatus',
    },
  },
  'apps/v1.ReplicaSetSpec': {
    fields: { selector: 's:meta/v1.LabelSelector', template: 'S:core/v1.PodTemplateSpec' },
  },
  'apps/v1.ReplicaSetStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'apps/v1.StatefulSet': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:apps/v1.StatefulSetSpec',
      status: 'S:apps/v1.StatefulSetStatus',
    },
  },
  'apps/v1.StatefulSetSpec': {
    fields: {
      selector: 's:meta/v1.LabelSelector',
      template: 'S:core/v1.PodTemplateSpec',
      updateStrategy: 'S',
    },
  },
  'apps/v1.StatefulSetStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'authentication/v1.SelfSubjectReview': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      status: 'S:authentication/v1.SelfSubjectReviewStatus',
    },
  },
  'authentication/v1.SelfSubjectReviewStatus': { fields: { userInfo: 'S' } },
  'authentication/v1.TokenRequest': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:authentication/v1.TokenRequestSpec',
      status: 'S',
    },
  },
  'authentication/v1.TokenRequestSpec': { fields: { audiences: 'L atomic' } },
  'authentication/v1.TokenReview': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S',
      status: 'S:authentication/v1.TokenReviewStatus',
    },
  },
  'authentication/v1.TokenReviewStatus': { fields: { user: 'S' } },
  'authorization/v1.LocalSubjectAccessReview': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S', status: 'S' },
  },
  'authorization/v1.SelfSubjectAccessReview': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S', status: 'S' },
  },
  'authorization/v1.SelfSubjectRulesReview': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S',
      status: 'S:authorization/v1.SubjectRulesReviewStatus',
    },
  },
  'authorization/v1.SubjectAccessReview': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S', status: 'S' },
  },
  'authorization/v1.SubjectRulesReviewStatus': {
    fields: { nonResourceRules: 'L atomic', resourceRules: 'L atomic' },
  },
  'autoscaling/v1.CrossVersionObjectReference': { atomic: true },
  'autoscaling/v1.HorizontalPodAutoscaler': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:autoscaling/v1.HorizontalPodAutoscalerSpec',
      status: 'S',
    },
  },
  'autoscaling/v1.HorizontalPodAutoscalerSpec': {
    fields: { scaleTargetRef: 'S:autoscaling/v1.CrossVersionObjectReference' },
  },
  'autoscaling/v1.Scale': { fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S', status: 'S' } },
  'autoscaling/v2.HorizontalPodAutoscaler': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:autoscaling/v2.HorizontalPodAutoscalerSpec',
      status: 'S:autoscaling/v2.HorizontalPodAutoscalerStatus',
    },
  },
  'autoscaling/v2.HorizontalPodAutoscalerSpec': { fields: { scaleTargetRef: 'S' } },
  'autoscaling/v2.HorizontalPodAutoscalerStatus': {
    fields: { conditions: 'l map=type smp=merge key=type', currentMetrics: 'L atomic' },
  },
  'batch/v1.CronJob': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:batch/v1.CronJobSpec', status: 'S' },
  },
  'batch/v1.CronJobSpec': { fields: { jobTemplate: 'S:batch/v1.JobTemplateSpec' } },
  'batch/v1.Job': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:batch/v1.JobSpec',
      status: 'S:batch/v1.JobStatus',
    },
  },
  'batch/v1.JobSpec': {
    fields: {
      podFailurePolicy: 's:batch/v1.PodFailurePolicy',
      selector: 's:meta/v1.LabelSelector',
      successPolicy: 's:batch/v1.SuccessPolicy',
      template: 'S:core/v1.PodTemplateSpec',
    },
  },
  'batch/v1.JobStatus': {
    fields: {
      conditions: 'l atomic smp=merge key=type',
      uncountedTerminatedPods: 's:batch/v1.UncountedTerminatedPods',
    },
  },
  'batch/v1.JobTemplateSpec': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:batch/v1.JobSpec' },
  },
  'batch/v1.PodFailurePolicy': { fields: { rules: 'L atomic' } },
  'batch/v1.SuccessPolicy': { fields: { rules: 'L atomic' } },
  'batch/v1.UncountedTerminatedPods': { fields: { failed: 'l set', succeeded: 'l set' } },
  'certificates/v1.CertificateSigningRequest': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S',
      status: 'S:certificates/v1.CertificateSigningRequestStatus',
    },
  },
  'certificates/v1.CertificateSigningRequestStatus': { fields: { conditions: 'l map=type' } },
  'coordination/v1.Lease': { fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S' } },
  'core/v1.Affinity': { fields: { nodeAffinity: 's:core/v1.NodeAffinity' } },
  'core/v1.Binding': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', target: 'S:core/v1.ObjectReference' },
  },
  'core/v1.CSIPersistentVolumeSource': {
    fields: {
      controllerExpandSecretRef: 's:core/v1.SecretReference',
      controllerPublishSecretRef: 's:core/v1.SecretReference',
      nodeExpandSecretRef: 's:core/v1.SecretReference',
      nodePublishSecretRef: 's:core/v1.SecretReference',
      nodeStageSecretRef: 's:core/v1.SecretReference',
    },
  },
  'core/v1.CSIVolumeSource': { fields: { nodePublishSecretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.CephFSPersistentVolumeSource': {
    fields: { monitors: 'L atomic', secretRef: 's:core/v1.SecretReference' },
  },
  'core/v1.CephFSVolumeSource': {
    fields: { monitors: 'L atomic', secretRef: 's:core/v1.LocalObjectReference' },
  },
  'core/v1.CinderPersistentVolumeSource': { fields: { secretRef: 's:core/v1.SecretReference' } },
  'core/v1.CinderVolumeSource': { fields: { secretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.ComponentStatus': {
    fields: { conditions: 'l map=type smp=merge key=type', metadata: 'S:meta/v1.ObjectMeta' },
  },
  'core/v1.ConfigMap': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'core/v1.ConfigMapKeySelector': { atomic: true },
  'core/v1.Container': {
    fields: {
      env: 'l:core/v1.EnvVar map=name smp=merge key=name',
      ports: 'l:core/v1.ContainerPort map=containerPort,protocol smp=merge key=containerPort',
      resources: 'S:core/v1.ResourceRequirements',
      volumeDevices: 'l map=devicePath smp=merge key=devicePath',
      volumeMounts: 'l map=mountPath smp=merge key=mountPath',
    },
  },
  'core/v1.ContainerPort': { defaults: { protocol: 'TCP' } },
  'core/v1.Endpoints': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'core/v1.EnvVar': { fields: { valueFrom: 's:core/v1.EnvVarSource' } },
  'core/v1.EnvVarSource': {
    fields: {
      configMapKeyRef: 's:core/v1.ConfigMapKeySelector',
      fieldRef: 's:core/v1.ObjectFieldSelector',
      fileKeyRef: 's:core/v1.FileKeySelector',
      resourceFieldRef: 's:core/v1.ResourceFieldSelector',
      secretKeyRef: 's:core/v1.SecretKeySelector',
    },
  },
  'core/v1.EphemeralContainer': {
    fields: {
      env: 'l:core/v1.EnvVar map=name smp=merge key=name',
      ports: 'l:core/v1.ContainerPort map=containerPort,protocol smp=merge key=containerPort',
      resources: 'S:core/v1.ResourceRequirements',
      volumeDevices: 'l map=devicePath smp=merge key=devicePath',
      volumeMounts: 'l map=mountPath smp=merge key=mountPath',
    },
  },
  'core/v1.EphemeralVolumeSource': {
    fields: { volumeClaimTemplate: 's:core/v1.PersistentVolumeClaimTemplate' },
  },
  'core/v1.Event': {
    fields: {
      involvedObject: 'S:core/v1.ObjectReference',
      metadata: 'S:meta/v1.ObjectMeta',
      related: 's:core/v1.ObjectReference',
      source: 'S',
    },
  },
  'core/v1.FileKeySelector': { atomic: true },
  'core/v1.FlexPersistentVolumeSource': { fields: { secretRef: 's:core/v1.SecretReference' } },
  'core/v1.FlexVolumeSource': { fields: { secretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.ISCSIPersistentVolumeSource': { fields: { secretRef: 's:core/v1.SecretReference' } },
  'core/v1.ISCSIVolumeSource': { fields: { secretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.LimitRange': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:core/v1.LimitRangeSpec' },
  },
  'core/v1.LimitRangeSpec': { fields: { limits: 'L atomic' } },
  'core/v1.LocalObjectReference': { atomic: true, defaults: { name: '' } },
  'core/v1.Namespace': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S', status: 'S:core/v1.NamespaceStatus' },
  },
  'core/v1.NamespaceStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'core/v1.Node': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.NodeSpec',
      status: 'S:core/v1.NodeStatus',
    },
  },
  'core/v1.NodeAffinity': {
    fields: { requiredDuringSchedulingIgnoredDuringExecution: 's:core/v1.NodeSelector' },
  },
  'core/v1.NodeDaemonEndpoints': { fields: { kubeletEndpoint: 'S' } },
  'core/v1.NodeSelector': { atomic: true, fields: { nodeSelectorTerms: 'L atomic' } },
  'core/v1.NodeSpec': { fields: { podCIDRs: 'l set smp=merge' } },
  'core/v1.NodeStatus': {
    fields: {
      addresses: 'l map=type smp=merge key=type',
      conditions: 'l map=type smp=merge key=type',
      daemonEndpoints: 'S:core/v1.NodeDaemonEndpoints',
      nodeInfo: 'S',
    },
  },
  'core/v1.ObjectFieldSelector': { atomic: true },
  'core/v1.ObjectReference': { atomic: true },
  'core/v1.PersistentVolume': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.PersistentVolumeSpec',
      status: 'S',
    },
  },
  'core/v1.PersistentVolumeClaim': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.PersistentVolumeClaimSpec',
      status: 'S:core/v1.PersistentVolumeClaimStatus',
    },
  },
  'core/v1.PersistentVolumeClaimSpec': {
    fields: {
      dataSource: 's:core/v1.TypedLocalObjectReference',
      resources: 'S',
      selector: 's:meta/v1.LabelSelector',
    },
  },
  'core/v1.PersistentVolumeClaimStatus': {
    fields: { conditions: 'l map=type smp=merge key=type' },
  },
  'core/v1.PersistentVolumeClaimTemplate': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:core/v1.PersistentVolumeClaimSpec' },
  },
  'core/v1.PersistentVolumeSpec': {
    fields: {
      cephfs: 's:core/v1.CephFSPersistentVolumeSource',
      cinder: 's:core/v1.CinderPersistentVolumeSource',
      claimRef: 's:core/v1.ObjectReference',
      csi: 's:core/v1.CSIPersistentVolumeSource',
      flexVolume: 's:core/v1.FlexPersistentVolumeSource',
      iscsi: 's:core/v1.ISCSIPersistentVolumeSource',
      nodeAffinity: 's:core/v1.VolumeNodeAffinity',
      rbd: 's:core/v1.RBDPersistentVolumeSource',
      scaleIO: 's:core/v1.ScaleIOPersistentVolumeSource',
      storageos: 's:core/v1.StorageOSPersistentVolumeSource',
    },
  },
  'core/v1.Pod': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.PodSpec',
      status: 'S:core/v1.PodStatus',
    },
  },
  'core/v1.PodExtendedResourceClaimStatus': { fields: { requestMappings: 'L atomic' } },
  'core/v1.PodSpec': {
    fields: {
      affinity: 's:core/v1.Affinity',
      containers: 'L:core/v1.Container map=name smp=merge key=name',
      ephemeralContainers: 'l:core/v1.EphemeralContainer map=name smp=merge key=name',
      hostAliases: 'l map=ip smp=merge key=ip',
      imagePullSecrets: 'l:core/v1.LocalObjectReference map=name smp=merge key=name',
      initContainers: 'l:core/v1.Container map=name smp=merge key=name',
      nodeSelector: 'm atomic',
      resourceClaims: 'l map=name smp=merge,retainKeys key=name',
      resources: 's:core/v1.ResourceRequirements',
      schedulingGates: 'l map=name smp=merge key=name',
      topologySpreadConstraints:
        'l:core/v1.TopologySpreadConstraint map=topologyKey,whenUnsatisfiable smp=merge key=topologyKey',
      volumes: 'l:core/v1.Volume map=name smp=merge,retainKeys key=name',
    },
  },
  'core/v1.PodStatus': {
    fields: {
      conditions: 'l map=type smp=merge key=type',
      extendedResourceClaimStatus: 's:core/v1.PodExtendedResourceClaimStatus',
      hostIPs: 'l atomic smp=merge key=ip',
      podIPs: 'l map=ip smp=merge key=ip',
      resourceClaimStatuses: 'l map=name smp=merge,retainKeys key=name',
      resources: 's:core/v1.ResourceRequirements',
    },
  },
  'core/v1.PodStatusResult': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', status: 'S:core/v1.PodStatus' },
  },
  'core/v1.PodTemplate': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', template: 'S:core/v1.PodTemplateSpec' },
  },
  'core/v1.PodTemplateSpec': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:core/v1.PodSpec' },
  },
  'core/v1.ProjectedVolumeSource': { fields: { sources: 'L atomic' } },
  'core/v1.RBDPersistentVolumeSource': {
    fields: { monitors: 'L atomic', secretRef: 's:core/v1.SecretReference' },
  },
  'core/v1.RBDVolumeSource': {
    fields: { monitors: 'L atomic', secretRef: 's:core/v1.LocalObjectReference' },
  },
  'core/v1.RangeAllocation': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'core/v1.ReplicationController': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.ReplicationControllerSpec',
      status: 'S:core/v1.ReplicationControllerStatus',
    },
  },
  'core/v1.ReplicationControllerSpec': {
    fields: { selector: 'm atomic', template: 's:core/v1.PodTemplateSpec' },
  },
  'core/v1.ReplicationControllerStatus': {
    fields: { conditions: 'l map=type smp=merge key=type' },
  },
  'core/v1.ResourceFieldSelector': { atomic: true },
  'core/v1.ResourceQuota': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:core/v1.ResourceQuotaSpec', status: 'S' },
  },
  'core/v1.ResourceQuotaSpec': { fields: { scopeSelector: 's:core/v1.ScopeSelector' } },
  'core/v1.ResourceRequirements': { fields: { claims: 'l map=name' } },
  'core/v1.ScaleIOPersistentVolumeSource': { fields: { secretRef: 's:core/v1.SecretReference' } },
  'core/v1.ScaleIOVolumeSource': { fields: { secretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.ScopeSelector': { atomic: true },
  'core/v1.Secret': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'core/v1.SecretKeySelector': { atomic: true },
  'core/v1.SecretReference': { atomic: true },
  'core/v1.Service': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:core/v1.ServiceSpec',
      status: 'S:core/v1.ServiceStatus',
    },
  },
  'core/v1.ServiceAccount': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      secrets: 'l:core/v1.ObjectReference map=name smp=merge key=name',
    },
  },
  'core/v1.ServicePort': { defaults: { protocol: 'TCP' } },
  'core/v1.ServiceSpec': {
    fields: {
      ports: 'l:core/v1.ServicePort map=port,protocol smp=merge key=port',
      selector: 'm atomic',
    },
  },
  'core/v1.ServiceStatus': {
    fields: { conditions: 'l map=type smp=merge key=type', loadBalancer: 'S' },
  },
  'core/v1.StorageOSPersistentVolumeSource': { fields: { secretRef: 's:core/v1.ObjectReference' } },
  'core/v1.StorageOSVolumeSource': { fields: { secretRef: 's:core/v1.LocalObjectReference' } },
  'core/v1.TopologySpreadConstraint': { fields: { labelSelector: 's:meta/v1.LabelSelector' } },
  'core/v1.TypedLocalObjectReference': { atomic: true },
  'core/v1.Volume': {
    fields: {
      cephfs: 's:core/v1.CephFSVolumeSource',
      cinder: 's:core/v1.CinderVolumeSource',
      csi: 's:core/v1.CSIVolumeSource',
      ephemeral: 's:core/v1.EphemeralVolumeSource',
      flexVolume: 's:core/v1.FlexVolumeSource',
      iscsi: 's:core/v1.ISCSIVolumeSource',
      projected: 's:core/v1.ProjectedVolumeSource',
      rbd: 's:core/v1.RBDVolumeSource',
      scaleIO: 's:core/v1.ScaleIOVolumeSource',
      storageos: 's:core/v1.StorageOSVolumeSource',
    },
  },
  'core/v1.VolumeNodeAffinity': { fields: { required: 's:core/v1.NodeSelector' } },
  'discovery/v1.EndpointSlice': {
    fields: { endpoints: 'L atomic', metadata: 'S:meta/v1.ObjectMeta', ports: 'L atomic' },
  },
  'events/v1.Event': {
    fields: {
      deprecatedSource: 'S',
      metadata: 'S:meta/v1.ObjectMeta',
      regarding: 'S:core/v1.ObjectReference',
      related: 's:core/v1.ObjectReference',
    },
  },
  'meta/v1.LabelSelector': { atomic: true },
  'meta/v1.ObjectMeta': {
    fields: {
      finalizers: 'l set smp=merge',
      ownerReferences: 'l:meta/v1.OwnerReference map=uid smp=merge key=uid',
    },
  },
  'meta/v1.OwnerReference': { atomic: true },
  'networking/v1.IPAddress': { fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S' } },
  'networking/v1.Ingress': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:networking/v1.IngressSpec',
      status: 'S:networking/v1.IngressStatus',
    },
  },
  'networking/v1.IngressBackend': {
    fields: {
      resource: 's:core/v1.TypedLocalObjectReference',
      service: 's:networking/v1.IngressServiceBackend',
    },
  },
  'networking/v1.IngressClass': { fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S' } },
  'networking/v1.IngressServiceBackend': { fields: { port: 'S:networking/v1.ServiceBackendPort' } },
  'networking/v1.IngressSpec': { fields: { defaultBackend: 's:networking/v1.IngressBackend' } },
  'networking/v1.IngressStatus': { fields: { loadBalancer: 'S' } },
  'networking/v1.NetworkPolicy': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:networking/v1.NetworkPolicySpec' },
  },
  'networking/v1.NetworkPolicySpec': { fields: { podSelector: 'S:meta/v1.LabelSelector' } },
  'networking/v1.ServiceBackendPort': { atomic: true },
  'networking/v1.ServiceCIDR': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S',
      status: 'S:networking/v1.ServiceCIDRStatus',
    },
  },
  'networking/v1.ServiceCIDRStatus': { fields: { conditions: 'l map=type smp=merge key=type' } },
  'node/v1.RuntimeClass': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', scheduling: 's:node/v1.Scheduling' },
  },
  'node/v1.Scheduling': { fields: { nodeSelector: 'm atomic' } },
  'policy/v1.Eviction': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'policy/v1.PodDisruptionBudget': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:policy/v1.PodDisruptionBudgetSpec',
      status: 'S:policy/v1.PodDisruptionBudgetStatus',
    },
  },
  'policy/v1.PodDisruptionBudgetSpec': {
    fields: { selector: 's:meta/v1.LabelSelector smp=replace' },
  },
  'policy/v1.PodDisruptionBudgetStatus': {
    fields: { conditions: 'l map=type smp=merge key=type' },
  },
  'rbac/v1.ClusterRole': { fields: { metadata: 'S:meta/v1.ObjectMeta', rules: 'L atomic' } },
  'rbac/v1.ClusterRoleBinding': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', roleRef: 'S:rbac/v1.RoleRef' },
  },
  'rbac/v1.Role': { fields: { metadata: 'S:meta/v1.ObjectMeta', rules: 'L atomic' } },
  'rbac/v1.RoleBinding': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', roleRef: 'S:rbac/v1.RoleRef' },
  },
  'rbac/v1.RoleRef': { atomic: true },
  'scheduling/v1.PriorityClass': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'storage/v1.CSIDriver': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:storage/v1.CSIDriverSpec' },
  },
  'storage/v1.CSIDriverSpec': { fields: { volumeLifecycleModes: 'l set' } },
  'storage/v1.CSINode': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', spec: 'S:storage/v1.CSINodeSpec' },
  },
  'storage/v1.CSINodeDriver': { fields: { topologyKeys: 'L atomic' } },
  'storage/v1.CSINodeSpec': {
    fields: { drivers: 'L:storage/v1.CSINodeDriver map=name smp=merge key=name' },
  },
  'storage/v1.CSIStorageCapacity': {
    fields: { metadata: 'S:meta/v1.ObjectMeta', nodeTopology: 's:meta/v1.LabelSelector' },
  },
  'storage/v1.StorageClass': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
  'storage/v1.VolumeAttachment': {
    fields: {
      metadata: 'S:meta/v1.ObjectMeta',
      spec: 'S:storage/v1.VolumeAttachmentSpec',
      status: 'S',
    },
  },
  'storage/v1.VolumeAttachmentSource': {
    fields: { inlineVolumeSpec: 's:core/v1.PersistentVolumeSpec' },
  },
  'storage/v1.VolumeAttachmentSpec': { fields: { source: 'S:storage/v1.VolumeAttachmentSource' } },
  'storage/v1.VolumeAttributesClass': { fields: { metadata: 'S:meta/v1.ObjectMeta' } },
};
