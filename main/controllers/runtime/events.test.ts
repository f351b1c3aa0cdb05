import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { EventRecorder } from './events.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

describe('EventRecorder', () => {
  let cluster: TestCluster;
  beforeEach(async () => (cluster = await startTestCluster()));
  afterEach(async () => cluster.stop());

  it('writes core/v1 Events and counts repeats on the same Event', async () => {
    const recorder = new EventRecorder(cluster.client, 'node-controller');
    const node = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u1' };
    recorder.event(node, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    recorder.event(node, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    recorder.event(node, 'Warning', 'Other', 'something else');
    await recorder.flush();
    const events = cluster.client.list(EVENTS, 'default').items;
    expect(events).toHaveLength(2);
    const repeated = events.find((e) => e.reason === 'NodeNotReady')!;
    expect(repeated).toMatchObject({
      type: 'Normal',
      count: 2,
      source: { component: 'node-controller' },
      involvedObject: { kind: 'Node', name: 'n1', uid: 'u1' },
    });
    expect(repeated.metadata.name).toMatch(/^n1\.[0-9a-f]+$/);
    expect(typeof repeated.firstTimestamp).toBe('string');
    expect(typeof repeated.lastTimestamp).toBe('string');
  });
});

describe('EventRecorder aggregation', () => {
  let cluster: TestCluster;
  beforeEach(async () => (cluster = await startTestCluster()));
  afterEach(async () => cluster.stop());

  it('folds the 10th and later distinct messages for one object and reason into a combined Event', async () => {
    const recorder = new EventRecorder(cluster.client, 'replicaset-controller');
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'default', name: 'rs' };
    for (let i = 0; i < 12; i++)
      recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: pods "rs-${i}" is forbidden`);
    recorder.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: rs-a');
    await recorder.flush();
    const events = cluster.client.list(EVENTS, 'default').items;
    const failed = events.filter((e) => e.reason === 'FailedCreate');
    // Nine single events, then one combined Event counting the other three.
    expect(failed).toHaveLength(10);
    const combined = failed.filter((e) => String(e.message).startsWith('(combined'));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({
      count: 3,
      message: '(combined from similar events): Error creating: pods "rs-11" is forbidden',
    });
    expect(events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(1);
  });
});
