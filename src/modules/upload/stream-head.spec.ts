import { Readable } from 'node:stream';
import { peekHead } from './stream-head';

const readAll = async (stream: Readable) => Buffer.concat(await stream.toArray());

describe('peekHead', () => {
  it('reads at least the asked bytes and replays the whole stream', async () => {
    const chunks = [Buffer.from('ab'), Buffer.from('cdef'), Buffer.from('gh')];
    const { head, body } = await peekHead(Readable.from(chunks), 3);
    expect(head.toString()).toBe('abcdef');
    expect((await readAll(body)).toString()).toBe('abcdefgh');
  });

  it('gives what there is when the stream is shorter', async () => {
    const { head, body } = await peekHead(Readable.from([Buffer.from('a')]), 32);
    expect(head.toString()).toBe('a');
    expect((await readAll(body)).toString()).toBe('a');
  });

  it('gives an empty head for an empty stream', async () => {
    const { head, body } = await peekHead(Readable.from([]), 32);
    expect(head.length).toBe(0);
    expect(await readAll(body)).toHaveLength(0);
  });

  it('passes a failure of the source on to the replayed stream', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.from('abcd'));
    const { body } = await peekHead(source, 2);
    const reading = readAll(body);
    source.destroy(new Error('client went away'));
    await expect(reading).rejects.toThrow('client went away');
  });

  it('destroys the source when the replayed stream is destroyed', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.from('abcd'));
    const { body } = await peekHead(source, 2);
    body.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
