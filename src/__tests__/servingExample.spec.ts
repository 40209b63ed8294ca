import { versionLocation } from '../panels/modelView/location';
import {
  exampleLoader,
  IExampleSources,
  loadServingExample,
  wrapInputExample
} from '../panels/serving/example';
import { TracksideRequestError } from '../services/request';
import {
  FileResult,
  IFileRef,
  IModelFilesService,
  IModelVersion,
  IRegistryService
} from '../tokens';

function version(more: Partial<IModelVersion>): IModelVersion {
  return {
    name: 'iris',
    version: '1',
    creation_timestamp: null,
    last_updated_timestamp: null,
    user_id: '',
    current_stage: 'None',
    description: '',
    source: '',
    run_id: null,
    model_id: null,
    status: 'READY',
    status_message: '',
    tags: [],
    aliases: [],
    ...more
  } as IModelVersion;
}

const NOT_FOUND = new TracksideRequestError({
  status: 404,
  errorCode: 'RESOURCE_DOES_NOT_EXIST',
  message: 'No such file'
});

/**
 * Sources answering a version and files from maps; records the files read.
 */
function sources(
  modelVersion: IModelVersion,
  files: Record<string, string | FileResult<string>>
): IExampleSources & { read: IFileRef[] } {
  const read: IFileRef[] = [];
  return {
    read,
    registry: {
      getModelVersion: async () => modelVersion
    } as unknown as IRegistryService,
    files: {
      fetchText: async (file: IFileRef) => {
        read.push(file);
        const owner = file.modelId ?? file.runId;
        const content = files[`${owner}:${file.path}`];
        if (content === undefined) {
          throw NOT_FOUND;
        }
        return typeof content === 'string'
          ? { kind: 'ok', value: content, size: content.length }
          : content;
      }
    } as unknown as IModelFilesService,
    location: versionLocation
  };
}

describe('loadServingExample', () => {
  const payload = { dataframe_split: { columns: ['a'], data: [[1]] } };

  it("reads the logged model's serving_input_example.json", async () => {
    const s = sources(
      version({ model_id: 'm-0a1b', source: 'models:/m-0a1b' }),
      {
        'm-0a1b:serving_input_example.json': JSON.stringify(payload)
      }
    );
    expect(await loadServingExample(s, 'iris', '1')).toEqual({
      payload,
      path: 'serving_input_example.json'
    });
    expect(s.read).toEqual([
      { modelId: 'm-0a1b', path: 'serving_input_example.json' }
    ]);
  });

  it('wraps input_example.json under a run folder when alone', async () => {
    const s = sources(version({ source: 'runs:/r1/model', run_id: 'r1' }), {
      'r1:model/input_example.json': JSON.stringify({
        columns: ['a'],
        data: [[1]]
      })
    });
    expect(await loadServingExample(s, 'iris', '1')).toEqual({
      payload,
      path: 'model/input_example.json'
    });
    expect(s.read.map(f => f.path)).toEqual([
      'model/serving_input_example.json',
      'model/input_example.json'
    ]);
  });

  it('resolves null without an example or a location', async () => {
    expect(
      await loadServingExample(
        sources(version({ model_id: 'm-1' }), {}),
        'iris',
        '1'
      )
    ).toBeNull();
    expect(
      await loadServingExample(
        sources(version({ source: 's3://bucket/x' }), {}),
        'iris',
        '1'
      )
    ).toBeNull();
    expect(await exampleLoader(null)('iris', '1')).toBeNull();
  });

  it('rejects with another failure, and a file too large to read', async () => {
    const failing = sources(version({ model_id: 'm-1' }), {});
    failing.files.fetchText = async () => {
      throw new Error('HTTP 500');
    };
    await expect(loadServingExample(failing, 'iris', '1')).rejects.toThrow(
      'HTTP 500'
    );
    const large = sources(version({ model_id: 'm-1' }), {
      'm-1:serving_input_example.json': {
        kind: 'tooLarge',
        size: 20_000_000,
        message: 'The file is 20,000,000 bytes'
      }
    });
    await expect(loadServingExample(large, 'iris', '1')).rejects.toThrow(
      'The file is 20,000,000 bytes'
    );
  });

  it('wraps raw examples as the payload MLflow expects', () => {
    expect(wrapInputExample([{ a: 1 }])).toEqual({
      dataframe_records: [{ a: 1 }]
    });
    expect(wrapInputExample([[1, 2]])).toEqual({ inputs: [[1, 2]] });
    expect(wrapInputExample('text')).toEqual({ inputs: 'text' });
  });
});
