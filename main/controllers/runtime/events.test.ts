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
