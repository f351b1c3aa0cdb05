// Resource endpoints (apiserver pkg/endpoints/handlers: get.go, create.go, update.go, patch.go,
// delete.go, watch.go): turns HTTP requests on /api and /apis paths into registry operations and
// renders the answers as objects, lists, Tables or watch streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import {
  StatusError,
  badRequest,
  invalid,
  fieldErrors,
  methodNotAllowed,
} from '../../api/status.ts';
import type { UserInfo } from '../../api/user.ts';
import type { Store } from '../../store/types.ts';
import type { RequestInfo } from '../http/request-info.ts';
import { decodeBody, findDuplicateJsonFields, mediaTypeOf, readBody } from '../http/body.ts';
import { PROTOBUF_MEDIA_TYPE } from '../protobuf/decode.ts';
import { addWarnings, sendJson } from '../http/respond.ts';
import { renderingFor } from '../http/negotiate.ts';
import type { ObjectRegistry, WriteOptions } from '../registry/rest.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { apiVersionOf, type ResourceInfo } from '../registry/resources.ts';
import { storageKey, storagePrefix } from '../registry/keys.ts';
import {
  boolParam,
  dryRunParam,
  fieldManagerParam,
  fieldValidationParam,
  intParam,
} from './query.ts';
import { checkWatchParameters, serveWatch, type WatchHandle } from './watch.ts';
import { fromScale, toScale } from './scale.ts';
import type { ListView } from './list-view.ts';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+cbor',
];

export interface SubresourceHandler {
  (ctx: ResourceContext, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface ResourceContext {
  info: ResourceInfo;
  request: RequestInfo;
  url: URL;
  user: UserInfo;
  namespace: string;
}

export interface ResourceHandlerDeps {
  store: Store;
  catalog: ResourceCatalog;
  registry: ObjectRegistry;
  view: ListView;
  /** Extra subresources (pods/log, pods/exec, serviceaccounts/token, pods/binding …), keyed `plural/sub`. */
  subresources: Map<string, SubresourceHandler>;
  /** Reviews and other create-only virtual resources, keyed `group/plural`. */
  virtual: Map<string, SubresourceHandler>;
  watches: Set<WatchHandle>;
  /** Minimum default watch timeout (kube's --min-request-timeout = 1800 s). */
  minRequestTimeoutSeconds: number;
}

export class ResourceHandler {
  constructor(private readonly deps: ResourceHandlerDeps) {}

  async handle(
    request: RequestInfo,
    url: URL,
    user: UserInfo,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const { catalog } = this.deps;
    const info = catalog.lookup(request.apiGroup, request.apiVersion, request.resource);
    if (!info) {
      const known = catalog.groups().get(request.apiGroup)?.includes(request.apiVersion);
      throw new StatusError(
        404,
        'NotFound',
        known
          ? `the server could not find the requested resource`
          : `the server could not find the requested resource`,
        {
          group: request.apiGroup || undefined,
          kind: request.resource,
        },
      );
    }
    const namespace = info.namespaced ? request.namespace : '';
    if (info.namespaced && request.namespace === '' && request.name) {
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const ctx: ResourceContext = { info, request, url, user, namespace };
    const method = req.method ?? 'GET';

    if (request.subresource) {
      if (!info.subresources.includes(request.subresource)) {
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      }
      const special = this.deps.subresources.get(
        `${info.group}/${info.plural}/${request.subresource}`,
      );
      if (special) return special(ctx, req, res);
      if (request.subresource === 'status')
        return this.handleObject(ctx, method, req, res, 'status');
      if (request.subresource === 'scale' && info.scale)
        return this.handleScale(ctx, method, req, res);
      if (request.subresource === 'finalize' && method === 'PUT')
        return this.handleObject(ctx, method, req, res, 'finalize');
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
    if (info.createOnly) {
      const handler = this.deps.virtual.get(`${info.group}/${info.plural}`);
      if (method !== 'POST' || !handler)
        throw methodNotAllowed('the server does not allow this method on the requested resource');
      return handler(ctx, req, res);
    }
    if (!request.name) {
      switch (method) {
        case 'GET':
        case 'HEAD':
          return request.verb === 'watch' ? this.watch(ctx, req, res) : this.list(ctx, req, res);
        case 'POST':
          return this.create(ctx, req, res);
        case 'DELETE':
          return this.deleteCollection(ctx, req, res);
        default:
          throw methodNotAllowed('the server does not allow this method on the requested resource');
      }
    }
    if (request.verb === 'watch') return this.watch(ctx, req, res);
    return this.handleObject(ctx, method, req, res, '');
  }

  private async handleObject(
    ctx: ResourceContext,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    subresource: string,
  ): Promise<void> {
    switch (method) {
      case 'GET':
      case 'HEAD':
        return this.get(ctx, req, res);
      case 'PUT':
        return this.update(ctx, req, res, subresource);
      case 'PATCH':
        if (subresource === 'finalize') break;
        return this.patch(ctx, req, res, subresource);
      case 'DELETE':
        if (subresource) break;
        return this.delete(ctx, req, res);
    }
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  }

  // ---- reads -----------------------------------------------------------------------------

  private get(ctx: ResourceContext, req: IncomingMessage, res: ServerResponse): void {
    const object = this.deps.registry.get(ctx.info, ctx.namespace, ctx.request.name);
    const rendering = renderingFor(req.headers.accept);
    sendJson(res, 200, this.deps.view.renderOne(ctx.info, object, rendering, ctx.url.searchParams));
  }

  private list(ctx: ResourceContext, req: IncomingMessage, res: ServerResponse): void {
    const params = ctx.url.searchParams;
    checkWatchParameters(
      {
        sendInitialEvents: boolParam(params, 'sendInitialEvents'),
        resourceVersionMatch: params.get('resourceVersionMatch') ?? '',
        allowBookmarks: boolParam(params, 'allowWatchBookmarks') ?? false,
      },
      false,
    );
    const rendering = renderingFor(req.headers.accept);
    const matches = this.deps.view.matcher(ctx.info, params);
    const limit = intParam(params, 'limit') ?? 0;
    if (limit < 0) throw badRequest('limit: Invalid value: must be non-negative');
    const cont = params.get('continue') ?? '';
    const prefix = storagePrefix(ctx.info, ctx.namespace || undefined);
    const { items, revision } = this.deps.store.list(prefix);
    let start = 0;
    let listRevision = revision;
    if (cont) {
      const token = decodeContinue(cont);
      listRevision = token.rv;
      start = lowerBound(ctx.info, items, token.start);
    }
    const selected: KubeObject[] = [];
    let next = '';
    let remaining: number | undefined;
    for (let i = start; i < items.length; i++) {
      const object = items[i];
      if (!matches(object)) continue;
      if (limit > 0 && selected.length === limit) {
        next = encodeContinue(listRevision, keyOf(ctx.info, selected[selected.length - 1]));
        remaining = 0;
        for (let j = i; j < items.length; j++) if (matches(items[j])) remaining++;
        break;
      }
      selected.push(object);
    }
    sendJson(
      res,
      200,
      this.deps.view.renderList(
        ctx.info,
        selected,
        String(listRevision),
        next,
        remaining,
        rendering,
        params,
      ),
    );
  }

  private watch(ctx: ResourceContext, req: IncomingMessage, res: ServerResponse): void {
    const params = ctx.url.searchParams;
    const sendInitialEvents = boolParam(params, 'sendInitialEvents');
    const allowBookmarks = boolParam(params, 'allowWatchBookmarks') ?? false;
    const resourceVersionMatch = params.get('resourceVersionMatch') ?? '';
    checkWatchParameters({ sendInitialEvents, resourceVersionMatch, allowBookmarks }, true);
    const rendering = renderingFor(req.headers.accept);
    let matches = this.deps.view.matcher(ctx.info, params);
    if (ctx.request.name) {
      const name = ctx.request.name;
      const base = matches;
      matches = (object) => object.metadata.name === name && base(object);
    }
    const timeout = intParam(params, 'timeoutSeconds');
    const min = this.deps.minRequestTimeoutSeconds;
    const timeoutSeconds =
      timeout !== undefined && timeout > 0 ? timeout : Math.floor(min * (1 + Math.random()));
    const apiVersion = apiVersionOf(ctx.info.group, ctx.info.version);
    let firstRow = true;
    const handle = serveWatch(this.deps.store, res, {
      prefix: storagePrefix(ctx.info, ctx.namespace || undefined),
      resourceVersion: params.get('resourceVersion') ?? '',
      resourceVersionMatch,
      sendInitialEvents,
      allowBookmarks,
      timeoutSeconds,
      matches,
      render: (object) => {
        const rendered = this.deps.view.renderWatchObject(
          ctx.info,
          object,
          rendering,
          params,
          firstRow,
        );
        if (rendering.as === 'Table') firstRow = false;
        return rendered;
      },
      bookmark: (revision, initialEventsEnd) => {
        const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
        if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
        if (rendering.as === 'Table') {
          return {
            kind: 'Table',
            apiVersion: `meta.k8s.io/${rendering.version}`,
            metadata,
            columnDefinitions: [],
            rows: [],
          };
        }
        return { kind: ctx.info.kind, apiVersion, metadata };
      },
    });
    this.deps.watches.add(handle);
    void handle.done.then(() => this.deps.watches.delete(handle));
  }

  // ---- writes ----------------------------------------------------------------------------

  private async readObjectBody(
    req: IncomingMessage,
    options: { fieldValidation: string },
    warnings: string[],
  ): Promise<unknown> {
    const media = mediaTypeOf(req.headers['content-type']);
    if (
      media &&
      media !== 'application/json' &&
      media !== 'application/yaml' &&
      media !== '*/*' &&
      media !== PROTOBUF_MEDIA_TYPE
    ) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    }
    const body = await readBody(req);
    const value = decodeBody(body, req.headers['content-type']);
    this.checkDuplicates(body, media, options, warnings);
    return value;
  }

  private checkDuplicates(
    body: Buffer,
    media: string,
    options: { fieldValidation: string },
    warnings: string[],
  ): void {
    if (options.fieldValidation === 'Ignore' || (media !== '' && !media.includes('json'))) return;
    const duplicates = findDuplicateJsonFields(body.toString('utf8'));
    if (!duplicates.length) return;
    const messages = duplicates.map((path) => `duplicate field "${path}"`);
    if (options.fieldValidation === 'Strict')
      throw badRequest(`strict decoding error: ${messages.join(', ')}`);
    warnings.push(...messages);
  }

  private writeOptions(
    ctx: ResourceContext,
    req: IncomingMessage,
    applyPatch = false,
  ): WriteOptions {
    const params = ctx.url.searchParams;
    return {
      dryRun: dryRunParam(params),
      fieldManager: fieldManagerParam(params, req.headers['user-agent'], applyPatch),
      fieldValidation: fieldValidationParam(params),
      user: ctx.user,
    };
  }

  private async create(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (!ctx.info.verbs.includes('create'))
      throw methodNotAllowed('the server does not allow this method on the requested resource');
    if (ctx.info.namespaced && !ctx.namespace)
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const options = this.writeOptions(ctx, req);
    const warnings: string[] = [];
    const body = await this.readObjectBody(req, options, warnings);
    const result = await this.deps.registry.create(ctx.info, ctx.namespace, body, options);
    this.sendWritten(ctx, req, res, 201, result.object, [...warnings, ...result.warnings]);
  }

  /** Answers a create, update or patch: the warnings, then the stored object as the client asked. */
  private sendWritten(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
    code: number,
    object: KubeObject,
    warnings: string[],
  ): void {
    addWarnings(res, warnings);
    const rendering = renderingFor(req.headers.accept);
    sendJson(
      res,
      code,
      this.deps.view.renderOne(ctx.info, object, rendering, ctx.url.searchParams),
    );
  }

  private async update(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
    subresource: string,
  ): Promise<void> {
    const options = {
      ...this.writeOptions(ctx, req),
      subresource: subresource || undefined,
    };
    const warnings: string[] = [];
    const body = await this.readObjectBody(req, options, warnings);
    const result = await this.deps.registry.update(
      ctx.info,
      ctx.namespace,
      ctx.request.name,
      body,
      options,
    );
    const code = result.created ? 201 : 200;
    this.sendWritten(ctx, req, res, code, result.object, [...warnings, ...result.warnings]);
  }

  private async patch(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
    subresource: string,
  ): Promise<void> {
    const patchType = mediaTypeOf(req.headers['content-type']);
    if (!PATCH_TYPES.includes(patchType) || patchType === 'application/apply-patch+cbor') {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.slice(0, 4).join(', ')}`,
      );
    }
    if (patchType === 'application/strategic-merge-patch+json' && ctx.info.custom) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    const isApply = patchType === 'application/apply-patch+yaml';
    const options = {
      ...this.writeOptions(ctx, req, isApply),
      subresource: subresource || undefined,
      force: boolParam(ctx.url.searchParams, 'force') ?? false,
    };
    if (!isApply && ctx.url.searchParams.has('force'))
      throw badRequest('force: Forbidden: may not be specified for non-apply patch');
    const body = await readBody(req);
    const patch = isApply
      ? decodeBody(body, 'application/yaml')
      : decodeBody(body, 'application/json');
    const warnings: string[] = [];
    if (!isApply) this.checkDuplicates(body, 'application/json', options, warnings);
    const result = await this.deps.registry.patch(
      ctx.info,
      ctx.namespace,
      ctx.request.name,
      patchType,
      patch,
      options,
    );
    const code = result.created ? 201 : 200;
    this.sendWritten(ctx, req, res, code, result.object, [...warnings, ...result.warnings]);
  }

  private async deleteOptions(
    ctx: ResourceContext,
    req: IncomingMessage,
  ): Promise<Parameters<ObjectRegistry['delete']>[3]> {
    const params = ctx.url.searchParams;
    let body: Record<string, unknown> = {};
    const raw = await readBody(req);
    if (raw.length && raw.toString('utf8').trim()) {
      const decoded = decodeBody(raw, req.headers['content-type']);
      if (!isPlainObject(decoded)) throw badRequest('DeleteOptions must be an object');
      body = decoded;
    }
    const grace =
      intParam(params, 'gracePeriodSeconds') ??
      (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    const propagation =
      params.get('propagationPolicy') ??
      (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
    const orphan =
      boolParam(params, 'orphanDependents') ??
      (typeof body.orphanDependents === 'boolean' ? body.orphanDependents : undefined);
    if (
      propagation !== undefined &&
      !['Orphan', 'Background', 'Foreground'].includes(propagation)
    ) {
      throw invalid('DeleteOptions', '', '', [
        fieldErrors.notSupported('propagationPolicy', propagation, [
          'Foreground',
          'Background',
          'Orphan',
        ]),
      ]);
    }
    if (propagation !== undefined && orphan !== undefined) {
      throw invalid('DeleteOptions', '', '', [
        fieldErrors.invalid(
          'propagationPolicy',
          propagation,
          'orphanDependents and deletionPropagation cannot be both set',
        ),
      ]);
    }
    if (grace !== undefined && grace < 0) {
      throw invalid('DeleteOptions', '', '', [
        fieldErrors.invalid('gracePeriodSeconds', grace, 'must be greater than or equal to 0'),
      ]);
    }
    const dryRun =
      dryRunParam(params) || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
    const pre = isPlainObject(body.preconditions) ? body.preconditions : {};
    return {
      dryRun,
      gracePeriodSeconds: grace,
      propagationPolicy: (propagation ??
        (orphan === true ? 'Orphan' : orphan === false ? 'Background' : undefined)) as
        'Orphan' | 'Background' | 'Foreground' | undefined,
      preconditions: {
        uid: typeof pre.uid === 'string' ? pre.uid : undefined,
        resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
      },
      user: ctx.user,
    };
  }

  private async delete(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const options = await this.deleteOptions(ctx, req);
    const { object, deleted } = await this.deps.registry.delete(
      ctx.info,
      ctx.namespace,
      ctx.request.name,
      options,
    );
    // kube answers 202 while deletion waits on finalizers or graceful termination, 200 once gone.
    const rendered = this.deps.view.renderOne(
      ctx.info,
      object,
      renderingFor(req.headers.accept),
      ctx.url.searchParams,
    );
    if (deleted && this.deps.view.deleteReturnsStatus(ctx.info)) {
      sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: ctx.request.name,
          group: ctx.info.group,
          kind: ctx.info.plural,
          uid: object.metadata.uid,
        },
      });
      return;
    }
    sendJson(res, deleted ? 200 : 202, rendered);
  }

  private async deleteCollection(
    ctx: ResourceContext,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (!ctx.info.verbs.includes('deletecollection'))
      throw methodNotAllowed('the server does not allow this method on the requested resource');
    const options = await this.deleteOptions(ctx, req);
    const matches = this.deps.view.matcher(ctx.info, ctx.url.searchParams);
    const { items, revision } = this.deps.store.list(
      storagePrefix(ctx.info, ctx.namespace || undefined),
    );
    const deleted: KubeObject[] = [];
    for (const object of items) {
      if (!matches(object)) continue;
      try {
        const result = await this.deps.registry.delete(
          ctx.info,
          object.metadata.namespace ?? '',
          object.metadata.name ?? '',
          options,
        );
        deleted.push(result.object);
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) continue;
        throw err;
      }
    }
    sendJson(
      res,
      200,
      this.deps.view.renderList(
        ctx.info,
        deleted,
        String(revision),
        '',
        undefined,
        { as: 'object' },
        ctx.url.searchParams,
      ),
    );
  }

  // ---- /scale ----------------------------------------------------------------------------

  private async handleScale(
    ctx: ResourceContext,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const scale = ctx.info.scale!;
    const builtin = !ctx.info.custom;
    const { registry } = this.deps;
    const name = ctx.request.name;
    if (method === 'GET') {
      sendJson(res, 200, toScale(registry.get(ctx.info, ctx.namespace, name), scale, builtin));
      return;
    }
    const options = this.writeOptions(ctx, req, false);
    let scaleBody: unknown;
    if (method === 'PUT') {
      const warnings: string[] = [];
      scaleBody = await this.readObjectBody(req, options, warnings);
    } else if (method === 'PATCH') {
      const patchType = mediaTypeOf(req.headers['content-type']);
      const current = toScale(registry.get(ctx.info, ctx.namespace, name), scale, builtin);
      const body = decodeBody(
        await readBody(req),
        patchType === 'application/apply-patch+yaml' ? 'application/yaml' : 'application/json',
      );
      scaleBody = this.deps.view.patchScale(current, patchType, body);
    } else {
      throw methodNotAllowed('the server does not allow this method on the requested resource');
    }
    const spec = isPlainObject(scaleBody) && isPlainObject(scaleBody.spec) ? scaleBody.spec : {};
    const replicas = spec.replicas;
    if (
      replicas !== undefined &&
      (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    ) {
      throw invalid('Scale', 'autoscaling', name, [
        typeof replicas === 'number'
          ? fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')
          : fieldErrors.typeInvalid('spec.replicas', replicas, 'must be an integer'),
      ]);
    }
    const current = registry.get(ctx.info, ctx.namespace, name);
    const updated = fromScale(current, scaleBody, scale);
    const result = await registry.update(ctx.info, ctx.namespace, name, updated, {
      ...options,
      subresource: 'scale',
    });
    sendJson(res, 200, toScale(result.object, scale, builtin));
  }
}

function keyOf(info: ResourceInfo, object: KubeObject): string {
  return storageKey(info, object.metadata.namespace ?? '', object.metadata.name ?? '');
}

/** Index of the first item whose store key sorts after `afterKey` (items are sorted by key). */
function lowerBound(info: ResourceInfo, items: KubeObject[], afterKey: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(info, items[mid]) <= afterKey) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: string;
      rv?: number;
      start?: string;
    };
    if (
      parsed.v !== 'meta.k8s.io/v1' ||
      typeof parsed.rv !== 'number' ||
      typeof parsed.start !== 'string'
    )
      throw new Error('bad');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}
