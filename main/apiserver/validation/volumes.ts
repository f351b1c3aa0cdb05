// Pod volumes and PersistentVolumeClaim specs (core validation: ValidateVolumes,
// validateVolumeSource and its sources, ValidatePersistentVolumeClaimSpec).

import {
  forbidden,
  invalid,
  notSupported,
  type Path,
  required,
  duplicate,
  tooLong,
} from './field.ts';
import { isObj, obj, objs, str, num, strs, type Obj } from './json.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.ts';
import { validateAnnotations, validateLabels, validateLabelSelector } from './meta.ts';
import {
  quantityAt,
  validatePositiveQuantity,
  validateResourceQuantityValue,
} from './resources.ts';
import type { FieldError } from '../../api/status.ts';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

export function validatePathNoBacksteps(target: string, path: Path): FieldError[] {
  return target.split('/').includes('..') ? [invalid(path, target, "must not contain '..'")] : [];
}

export function validateLocalDescendingPath(target: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

export function validateLocalNonReservedPath(target: string, path: Path): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) {
    errs.push(invalid(path, target, "must not start with '..'"));
  }
  return errs;
}

function validateMode(mode: unknown, path: Path): FieldError[] {
  const m = num(mode);
  return m !== undefined && (m > 0o777 || m < 0) ? [invalid(path, m, FILE_MODE_ERROR)] : [];
}

function validateKeyToPath(kp: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const key = str(kp.key) ?? '';
  const p = str(kp.path) ?? '';
  if (!key) errs.push(required(path.child('key')));
  if (!p) errs.push(required(path.child('path')));
  errs.push(...validateLocalNonReservedPath(p, path.child('path')));
  errs.push(...validateMode(kp.mode, path.child('mode')));
  return errs;
}

const volumeFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.labels',
  'metadata.annotations',
  'metadata.uid',
];

export const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

const convertibleFieldLabels = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** validateObjectFieldSelector (downward API fieldRef). */
export function validateObjectFieldSelector(
  fs: Obj,
  expressions: readonly string[],
  path: Path,
): FieldError[] {
  const apiVersion = str(fs.apiVersion) ?? '';
  const fieldPath = str(fs.fieldPath) ?? '';
  if (!apiVersion) return [required(path.child('apiVersion'))];
  if (!fieldPath) return [required(path.child('fieldPath'))];
  const sub = /^(.+)\['(.*)'\]$/.exec(fieldPath);
  if (apiVersion !== 'v1') {
    return [
      invalid(
        path.child('fieldPath'),
        fieldPath,
        `error converting fieldPath: unsupported pod version: ${apiVersion}`,
      ),
    ];
  }
  const base = sub ? sub[1] : fieldPath;
  if (
    sub
      ? base !== 'metadata.annotations' && base !== 'metadata.labels'
      : !convertibleFieldLabels.has(fieldPath)
  ) {
    return [
      invalid(
        path.child('fieldPath'),
        fieldPath,
        `error converting fieldPath: field label not supported: ${fieldPath}`,
      ),
    ];
  }
  if (sub) {
    const key = sub[2];
    if (base === 'metadata.annotations') {
      return isQualifiedName(key.toLowerCase()).map((m) => invalid(path, key.toLowerCase(), m));
    }
    return isQualifiedName(key).map((m) => invalid(path, key, m));
  }
  if (!expressions.includes(fieldPath)) {
    return [notSupported(path.child('fieldPath'), fieldPath, [...expressions].sort())];
  }
  return [];
}

export const containerResourceFields = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

/** validateContainerResourceFieldSelector. */
export function validateResourceFieldSelector(fs: Obj, path: Path, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = str(fs.resource) ?? '';
  if (volume && !(str(fs.containerName) ?? '')) errs.push(required(path.child('containerName')));
  else if (!resource) errs.push(required(path.child('resource')));
  else if (
    !containerResourceFields.includes(resource) &&
    !resource.startsWith('requests.hugepages-') &&
    !resource.startsWith('limits.hugepages-')
  ) {
    errs.push(notSupported(path.child('resource'), resource, containerResourceFields));
  }
  return errs;
}

function validateDownwardAPIFile(file: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const p = str(file.path) ?? '';
  if (!p) errs.push(required(path.child('path')));
  errs.push(...validateLocalNonReservedPath(p, path.child('path')));
  const fieldRef = obj(file.fieldRef);
  const resourceFieldRef = obj(file.resourceFieldRef);
  if (fieldRef) {
    errs.push(...validateObjectFieldSelector(fieldRef, volumeFieldPaths, path.child('fieldRef')));
    if (resourceFieldRef) {
      errs.push(
        invalid(
          path,
          'resource',
          'fieldRef and resourceFieldRef can not be specified simultaneously',
        ),
      );
    }
  } else if (resourceFieldRef) {
    errs.push(
      ...validateResourceFieldSelector(resourceFieldRef, path.child('resourceFieldRef'), true),
    );
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(file.mode, path.child('mode')));
  return errs;
}

function validateProjected(src: Obj, path: Path): FieldError[] {
  const errs = validateMode(src.defaultMode, path.child('defaultMode'));
  const allPaths = new Set<string>();
  const track = (p: string, value: unknown): void => {
    if (!p) return;
    if (allPaths.has(p)) errs.push(invalid(path, value, 'conflicting duplicate paths'));
    else allPaths.add(p);
  };
  objs(src.sources).forEach((source, i) => {
    const srcPath = path.child('sources').index(i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = obj(source[kind]);
      if (!s) continue;
      n++;
      const projPath = srcPath.child(kind);
      if (!(str(s.name) ?? '')) errs.push(required(projPath.child('name')));
      objs(s.items).forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, projPath.child('items').index(j)));
        track(str(kp.path) ?? '', str(s.name) ?? '');
      });
    }
    const dapi = obj(source.downwardAPI);
    if (dapi) {
      n++;
      for (const file of objs(dapi.items)) {
        errs.push(...validateDownwardAPIFile(file, srcPath.child('downwardAPI')));
        track(str(file.path) ?? '', str(file.path) ?? '');
      }
    }
    const sat = obj(source.serviceAccountToken);
    if (sat) {
      n++;
      const satPath = srcPath.child('serviceAccountToken');
      const exp = num(sat.expirationSeconds) ?? 0;
      if (exp < 600) {
        errs.push(
          invalid(
            satPath.child('expirationSeconds'),
            exp,
            'may not specify a duration less than 10 minutes',
          ),
        );
      }
      if (exp > 2 ** 32) {
        errs.push(
          invalid(
            satPath.child('expirationSeconds'),
            exp,
            'may not specify a duration larger than 2^32 seconds',
          ),
        );
      }
      const p = str(sat.path) ?? '';
      if (!p) errs.push(required(path.child('path')));
      else errs.push(...validateLocalNonReservedPath(p, path.child('path')));
    }
    const ctb = obj(source.clusterTrustBundle);
    if (ctb) {
      n++;
      const projPath = srcPath.child('clusterTrustBundle');
      const hasName = typeof ctb.name === 'string';
      const hasSigner = typeof ctb.signerName === 'string';
      if (hasName && hasSigner) {
        errs.push(invalid(projPath, ctb, 'only one of name and signerName may be used'));
      } else if (hasName) {
        if (!ctb.name) errs.push(required(projPath.child('name'), 'must be a valid object name'));
      } else if (hasSigner) {
        if (!ctb.signerName)
          errs.push(required(projPath.child('signerName'), 'must be a valid signer name'));
        errs.push(...validateLabelSelector(ctb.labelSelector, projPath.child('labelSelector')));
      } else {
        errs.push(required(projPath, 'either name or signerName must be specified'));
      }
      const p = str(ctb.path) ?? '';
      if (!p) errs.push(required(projPath.child('path')));
      errs.push(...validateLocalNonReservedPath(p, projPath.child('path')));
      track(p, p);
    }
    if (n > 1) errs.push(forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

const hostPathTypes = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

/** ValidateCSIDriverName. */
export function validateCSIDriverName(driver: string, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!driver) errs.push(required(path));
  if (driver.length > 63) errs.push(tooLong(path, 63));
  errs.push(...isDNS1123Subdomain(driver.toLowerCase()).map((m) => invalid(path, driver, m)));
  return errs;
}

type SourceCheck = (src: Obj, path: Path, ctx: VolumeContext) => FieldError[];

interface VolumeContext {
  volName: string;
  podName: string;
  resourceIsPod: boolean;
}

const ctxNone: VolumeContext = { volName: '', podName: '', resourceIsPod: false };

const requireFields =
  (...fields: string[]): SourceCheck =>
  (src, path) =>
    fields.filter((f) => !(str(src[f]) ?? '')).map((f) => required(path.child(f)));

/** Volume sources in the order validateVolumeSource checks them: [json key, forbidden-path name, validation-path name, check]. */
const volumeSources: Array<[string, string, string, SourceCheck]> = [
  [
    'emptyDir',
    'emptyDir',
    'emptyDir',
    (src, path) => {
      const errs: FieldError[] = [];
      const q = quantityAt(src.sizeLimit, path.child('sizeLimit'), errs);
      if (q && q.sign < 0) {
        errs.push(
          forbidden(path.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'),
        );
      }
      return errs;
    },
  ],
  [
    'hostPath',
    'hostPath',
    'hostPath',
    (src, path) => {
      const p = str(src.path) ?? '';
      if (!p) return [required(path.child('path'))];
      const errs = validatePathNoBacksteps(p, path.child('path'));
      const t = src.type;
      if (typeof t === 'string' && !hostPathTypes.includes(t)) {
        errs.push(notSupported(path.child('type'), t, hostPathTypes));
      }
      return errs;
    },
  ],
  [
    'gitRepo',
    'gitRepo',
    'gitRepo',
    (src, path) => [
      ...requireFields('repository')(src, path, ctxNone),
      ...validateLocalDescendingPath(str(src.directory) ?? '', path.child('directory')),
    ],
  ],
  ['gcePersistentDisk', 'gcePersistentDisk', 'persistentDisk', requireFields('pdName')],
  [
    'awsElasticBlockStore',
    'awsElasticBlockStore',
    'awsElasticBlockStore',
    requireFields('volumeID'),
  ],
  [
    'secret',
    'secret',
    'secret',
    (src, path) => [
      ...requireFields('secretName')(src, path, ctxNone),
      ...validateMode(src.defaultMode, path.child('defaultMode')),
      ...objs(src.items).flatMap((kp, i) => validateKeyToPath(kp, path.child('items').index(i))),
    ],
  ],
  [
    'nfs',
    'nfs',
    'nfs',
    (src, path) => {
      const errs = requireFields('server', 'path')(src, path, ctxNone);
      const p = str(src.path) ?? '';
      if (!p.startsWith('/')) errs.push(invalid(path.child('path'), p, 'must be an absolute path'));
      return errs;
    },
  ],
  ['iscsi', 'iscsi', 'iscsi', requireFields('targetPortal', 'iqn')],
  ['glusterfs', 'glusterfs', 'glusterfs', requireFields('endpoints', 'path')],
  [
    'flocker',
    'flocker',
    'flocker',
    (src, path) => {
      const errs: FieldError[] = [];
      const name = str(src.datasetName) ?? '';
      const uuid = str(src.datasetUUID) ?? '';
      if (!name && !uuid)
        errs.push(required(path, 'one of datasetName and datasetUUID is required'));
      if (name && uuid) {
        errs.push(
          invalid(
            path,
            'resource',
            'datasetName and datasetUUID can not be specified simultaneously',
          ),
        );
      }
      if (name.includes('/'))
        errs.push(invalid(path.child('datasetName'), name, "must not contain '/'"));
      return errs;
    },
  ],
  [
    'persistentVolumeClaim',
    'persistentVolumeClaim',
    'persistentVolumeClaim',
    requireFields('claimName'),
  ],
  [
    'rbd',
    'rbd',
    'rbd',
    (src, path) => [
      ...(strs(src.monitors).length ? [] : [required(path.child('monitors'))]),
      ...requireFields('image')(src, path, ctxNone),
    ],
  ],
  ['cinder', 'cinder', 'cinder', requireFields('volumeID')],
  [
    'cephfs',
    'cephFS',
    'cephfs',
    (src, path) => (strs(src.monitors).length ? [] : [required(path.child('monitors'))]),
  ],
  ['quobyte', 'quobyte', 'quobyte', requireFields('registry', 'volume')],
  [
    'downwardAPI',
    'downwarAPI',
    'downwardAPI',
    (src, path) => [
      ...validateMode(src.defaultMode, path.child('defaultMode')),
      ...objs(src.items).flatMap((f) => validateDownwardAPIFile(f, path)),
    ],
  ],
  [
    'fc',
    'fc',
    'fc',
    (src, path) => {
      const errs: FieldError[] = [];
      const wwns = strs(src.targetWWNs);
      const wwids = strs(src.wwids);
      if (!wwns.length && !wwids.length) {
        errs.push(
          required(
            path.child('targetWWNs'),
            'must specify either targetWWNs or wwids, but not both',
          ),
        );
      }
      if (wwns.length && wwids.length) {
        errs.push(
          invalid(
            path.child('targetWWNs'),
            wwns,
            'targetWWNs and wwids can not be specified simultaneously',
          ),
        );
      }
      if (wwns.length && src.lun === undefined) {
        errs.push(required(path.child('lun'), 'lun is required if targetWWNs is specified'));
      }
      return errs;
    },
  ],
  ['flexVolume', 'flexVolume', 'flexVolume', requireFields('driver')],
  [
    'configMap',
    'configMap',
    'configMap',
    (src, path) => [
      ...requireFields('name')(src, path, ctxNone),
      ...validateMode(src.defaultMode, path.child('defaultMode')),
      ...objs(src.items).flatMap((kp, i) => validateKeyToPath(kp, path.child('items').index(i))),
    ],
  ],
  ['azureFile', 'azureFile', 'azureFile', requireFields('secretName', 'shareName')],
  ['vsphereVolume', 'vsphereVolume', 'vsphereVolume', requireFields('volumePath')],
  ['photonPersistentDisk', 'photonPersistentDisk', 'photonPersistentDisk', requireFields('pdID')],
  ['portworxVolume', 'portworxVolume', 'portworxVolume', requireFields('volumeID')],
  ['azureDisk', 'azureDisk', 'azureDisk', requireFields('diskName', 'diskURI')],
  ['storageos', 'storageos', 'storageos', requireFields('volumeName')],
  ['projected', 'projected', 'projected', (src, path) => validateProjected(src, path)],
  ['scaleIO', 'scaleIO', 'scaleIO', requireFields('gateway', 'system', 'volumeName')],
  [
    'csi',
    'csi',
    'csi',
    (src, path) => {
      const errs = validateCSIDriverName(str(src.driver) ?? '', path.child('driver'));
      const ref = obj(src.nodePublishSecretRef);
      if (ref) {
        const name = str(ref.name) ?? '';
        if (!name) errs.push(required(path.child('nodePublishSecretRef', 'name')));
        else
          errs.push(
            ...nameIsDNSSubdomain(name, false).map((m) => invalid(path.child('name'), name, m)),
          );
      }
      return errs;
    },
  ],
  [
    'ephemeral',
    'ephemeral',
    'ephemeral',
    (src, path, ctx) => {
      const template = obj(src.volumeClaimTemplate);
      if (!template) return [required(path.child('volumeClaimTemplate'))];
      const errs = validatePersistentVolumeClaimTemplate(
        template,
        path.child('volumeClaimTemplate'),
      );
      if (ctx.podName && ctx.volName) {
        const pvcName = `${ctx.podName}-${ctx.volName}`;
        for (const m of nameIsDNSSubdomain(pvcName, false)) {
          errs.push(invalid(path.child('name'), ctx.volName, `PVC name "${pvcName}": ${m}`));
        }
      }
      return errs;
    },
  ],
  [
    'image',
    'image',
    'image',
    (src, path, ctx) => {
      const errs: FieldError[] = [];
      if (ctx.resourceIsPod && !(str(src.reference) ?? ''))
        errs.push(required(path.child('reference')));
      errs.push(...validatePullPolicy(src.pullPolicy, path.child('pullPolicy')));
      return errs;
    },
  ],
];

export const pullPolicies = ['Always', 'IfNotPresent', 'Never'];

export function validatePullPolicy(policy: unknown, path: Path): FieldError[] {
  const p = str(policy) ?? '';
  if (pullPolicies.includes(p)) return [];
  if (!p) return [required(path)];
  return [notSupported(path, p, pullPolicies)];
}

/** ValidateVolumes: returns the valid volumes by name and the errors. */
export function validateVolumes(
  volumes: unknown,
  podMeta: Obj | undefined,
  path: Path,
  resourceIsPod: boolean,
): { byName: Map<string, Obj>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const byName = new Map<string, Obj>();
  const seen = new Set<string>();
  const podName = str(podMeta?.name) ?? '';
  const createdPVCs = new Set<string>();
  if (podName) {
    for (const v of objs(volumes))
      if (isObj(v.ephemeral)) createdPVCs.add(`${podName}-${str(v.name) ?? ''}`);
  }
  objs(volumes).forEach((vol, i) => {
    const idxPath = path.index(i);
    const namePath = idxPath.child('name');
    const name = str(vol.name) ?? '';
    const el: FieldError[] = [];
    let count = 0;
    for (const [key, forbiddenName, checkName, check] of volumeSources) {
      const src = obj(vol[key]);
      if (!src) continue;
      if (count > 0) {
        el.push(forbidden(idxPath.child(forbiddenName), 'may not specify more than 1 volume type'));
        continue;
      }
      count++;
      el.push(...check(src, idxPath.child(checkName), { volName: name, podName, resourceIsPod }));
    }
    if (count === 0) el.push(required(idxPath, 'must specify a volume type'));
    if (!name) el.push(required(namePath));
    else el.push(...isDNS1123Label(name).map((m) => invalid(namePath, name, m)));
    if (seen.has(name)) el.push(duplicate(namePath, name));
    if (el.length === 0) {
      seen.add(name);
      byName.set(name, vol);
    } else errors.push(...el);
    const claim = str(obj(vol.persistentVolumeClaim)?.claimName);
    if (claim && createdPVCs.has(claim)) {
      errors.push(
        invalid(
          idxPath.child('persistentVolumeClaim').child('claimName'),
          claim,
          'must not reference a PVC that gets created for an ephemeral volume',
        ),
      );
    }
  });
  return { byName, errors };
}

const allowedTemplateMeta = new Set(['labels', 'annotations']);

function validatePersistentVolumeClaimTemplate(template: Obj, path: Path): FieldError[] {
  const meta = obj(template.metadata) ?? {};
  const errs = [
    ...validateAnnotations(meta.annotations, path.child('metadata', 'annotations')),
    ...validateLabels(meta.labels, path.child('metadata', 'labels')),
  ];
  for (const k of Object.keys(meta)) {
    if (!allowedTemplateMeta.has(k) && meta[k] !== undefined && meta[k] !== null) {
      errs.push(forbidden(path.child('metadata', k), 'cannot be set'));
    }
  }
  errs.push(...validatePersistentVolumeClaimSpec(obj(template.spec) ?? {}, path.child('spec')));
  return errs;
}

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const volumeModes = ['Block', 'Filesystem'];

export function validateAccessModes(modes: string[], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const mode of modes) {
    if (!accessModes.includes(mode)) errs.push(notSupported(path, mode, accessModes));
    if (mode === 'ReadWriteOncePod') rwop = true;
    else if (accessModes.includes(mode)) other = true;
  }
  if (rwop && other)
    errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateDataSource(ds: Obj, path: Path, isRef: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(ds.name) ?? '';
  const kind = str(ds.kind) ?? '';
  const apiGroup = str(ds.apiGroup) ?? '';
  if (!name) errs.push(required(path.child('name')));
  if (!kind) errs.push(required(path.child('kind')));
  if (!apiGroup && kind !== 'PersistentVolumeClaim') {
    errs.push(
      invalid(path, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"),
    );
  }
  if (apiGroup)
    errs.push(
      ...isDNS1123Subdomain(apiGroup).map((m) => invalid(path.child('apiGroup'), apiGroup, m)),
    );
  const ns = str(ds.namespace) ?? '';
  if (isRef && ns)
    errs.push(...nameIsDNSLabel(ns, false).map((m) => invalid(path.child('namespace'), ns, m)));
  return errs;
}

/** ValidatePersistentVolumeClaimSpec. */
export function validatePersistentVolumeClaimSpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const modes = strs(spec.accessModes);
  if (modes.length === 0)
    errs.push(required(path.child('accessModes'), 'at least 1 access mode is required'));
  if (spec.selector !== undefined && spec.selector !== null) {
    errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  }
  errs.push(...validateAccessModes(modes, path.child('accessModes')));
  const storagePath = path.child('resources').key('storage');
  const requests = obj(obj(spec.resources)?.requests) ?? {};
  if (!('storage' in requests)) errs.push(required(storagePath));
  else {
    const q = quantityAt(requests.storage, storagePath, errs);
    if (q) {
      const positive = validatePositiveQuantity(q, storagePath);
      errs.push(
        ...(positive.length ? positive : validateResourceQuantityValue('storage', q, storagePath)),
      );
    }
  }
  const sc = str(spec.storageClassName);
  if (sc)
    errs.push(
      ...nameIsDNSSubdomain(sc, false).map((m) => invalid(path.child('storageClassName'), sc, m)),
    );
  const vm = str(spec.volumeMode);
  if (vm !== undefined && !volumeModes.includes(vm))
    errs.push(notSupported(path.child('volumeMode'), vm, volumeModes));
  const ds = obj(spec.dataSource);
  const dsRef = obj(spec.dataSourceRef);
  if (ds) errs.push(...validateDataSource(ds, path.child('dataSource'), false));
  if (dsRef) errs.push(...validateDataSource(dsRef, path.child('dataSourceRef'), true));
  if (dsRef && (str(dsRef.namespace) ?? '')) {
    if (ds)
      errs.push(
        invalid(
          path,
          String(path.child('dataSource')),
          'may not be specified when dataSourceRef.namespace is specified',
        ),
      );
  } else if (ds && dsRef) {
    const same =
      (str(ds.apiGroup) ?? null) === (str(dsRef.apiGroup) ?? null) &&
      str(ds.kind) === str(dsRef.kind) &&
      str(ds.name) === str(dsRef.name);
    if (!same)
      errs.push(invalid(path, String(path.child('dataSource')), 'must match dataSourceRef'));
  }
  const vac = str(spec.volumeAttributesClassName);
  if (vac) {
    errs.push(
      ...nameIsDNSSubdomain(vac, false).map((m) =>
        invalid(path.child('volumeAttributesClassName'), vac, m),
      ),
    );
  }
  return errs;
}
