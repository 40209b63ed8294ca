import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { DetailSection } from '../../widgets/detailSection';
import { HighlightedCode } from '../../widgets/artifactPreview/highlight';
import { DataTable, formatBytes } from '../../widgets/artifactPreview/view';
import { IExampleTable } from './inputExample';
import { IFlavor } from './mlmodel';
import { Part } from './model';
import {
  ISignature,
  ISignatureField,
  ISignatureParam,
  shapeText
} from './signature';

/**
 * The text of a part that is not ready: loading, missing, too large or
 * failed; `null` when ready.
 */
export function PartStatus(props: {
  part: Part<unknown>;
  missing: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { part, trans } = props;
  switch (part.status) {
    case 'ready':
      return null;
    case 'loading':
      return <p className="jp-Trackside-Placeholder">{trans.__('Loading…')}</p>;
    case 'missing':
      return <p className="jp-Trackside-DetailEmpty">{props.missing}</p>;
    case 'tooLarge':
    case 'error':
      return (
        <p className="jp-Trackside-DetailError" role="alert">
          {part.message}
        </p>
      );
  }
}

/**
 * The flavors of the model and the library versions each records.
 */
export function Flavors(props: {
  flavors: ReadonlyArray<IFlavor>;
  trans: TranslationBundle;
}): JSX.Element {
  const { flavors, trans } = props;
  return (
    <DetailSection title={trans.__('Flavors')} count={flavors.length}>
      {flavors.length === 0 ? (
        <p className="jp-Trackside-DetailEmpty">{trans.__('No flavors.')}</p>
      ) : (
        <ul
          className="jp-Trackside-ModelFlavors"
          aria-label={trans.__('Flavors')}
        >
          {flavors.map(flavor => (
            <li key={flavor.name}>
              <span className="jp-Trackside-DetailMono">{flavor.name}</span>
              {flavor.versions.map(([key, version]) => (
                <span key={key} className="jp-Trackside-ModelFlavorVersion">
                  {`${key.replace(/_version$/, '')} ${version}`}
                </span>
              ))}
            </li>
          ))}
        </ul>
      )}
    </DetailSection>
  );
}

/**
 * The signature: inputs, outputs (columns or tensors) and params.
 */
export function Signature(props: {
  signature: ISignature | null;
  error: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { signature, error, trans } = props;
  return (
    <DetailSection title={trans.__('Signature')} count={null}>
      {error ? (
        <p className="jp-Trackside-DetailError" role="alert">
          {error}
        </p>
      ) : !signature ? (
        <p className="jp-Trackside-DetailEmpty">
          {trans.__('The model has no signature.')}
        </p>
      ) : (
        <>
          <Fields
            title={trans.__('Inputs')}
            fields={signature.inputs}
            trans={trans}
          />
          <Fields
            title={trans.__('Outputs')}
            fields={signature.outputs}
            trans={trans}
          />
          {signature.params ? (
            <Params params={signature.params} trans={trans} />
          ) : null}
        </>
      )}
    </DetailSection>
  );
}

function Fields(props: {
  title: string;
  fields: ReadonlyArray<ISignatureField> | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { title, fields, trans } = props;
  if (!fields) {
    return (
      <p className="jp-Trackside-DetailEmpty">
        {trans.__('%1: not specified.', title)}
      </p>
    );
  }
  const tensors = fields.some(field => field.kind === 'tensor');
  return (
    <table className="jp-Trackside-SignatureTable" aria-label={title}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{tensors ? trans.__('Dtype') : trans.__('Type')}</th>
          {tensors ? <th scope="col">{trans.__('Shape')}</th> : null}
          <th scope="col">{trans.__('Required')}</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((field, i) => (
          <tr key={i}>
            <th scope="row">{field.name ?? trans.__('(unnamed)')}</th>
            <td className="jp-Trackside-DetailMono">{field.type}</td>
            {tensors ? (
              <td className="jp-Trackside-DetailMono">
                {field.shape ? shapeText(field.shape) : ''}
              </td>
            ) : null}
            <td>
              {field.required ? trans.__('required') : trans.__('optional')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Params(props: {
  params: ReadonlyArray<ISignatureParam>;
  trans: TranslationBundle;
}): JSX.Element {
  const { params, trans } = props;
  const title = trans.__('Parameters');
  return (
    <table className="jp-Trackside-SignatureTable" aria-label={title}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{trans.__('Type')}</th>
          <th scope="col">{trans.__('Default')}</th>
        </tr>
      </thead>
      <tbody>
        {params.map((param, i) => (
          <tr key={i}>
            <th scope="row">{param.name}</th>
            <td className="jp-Trackside-DetailMono">
              {param.shape
                ? `${param.type} ${shapeText(param.shape)}`
                : param.type}
            </td>
            <td className="jp-Trackside-DetailMono">{param.default}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The input example as a table.
 */
export function InputExample(props: {
  example: Part<IExampleTable>;
  trans: TranslationBundle;
}): JSX.Element {
  const { example, trans } = props;
  return (
    <DetailSection title={trans.__('Input example')} count={null}>
      {example.status === 'ready' ? (
        <>
          <DataTable
            columns={example.value.columns}
            rows={example.value.rows}
            label={trans.__('Input example')}
          />
          {example.value.totalRows > example.value.rows.length ? (
            <p className="jp-Trackside-DetailEmpty">
              {trans.__(
                'First %1 of %2 rows.',
                example.value.rows.length,
                example.value.totalRows
              )}
            </p>
          ) : null}
        </>
      ) : (
        <PartStatus
          part={example}
          missing={trans.__('The model has no input example.')}
          trans={trans}
        />
      )}
    </DetailSection>
  );
}

/**
 * The Python requirements (`requirements.txt`).
 */
export function Requirements(props: {
  requirements: Part<string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { requirements, trans } = props;
  const lines =
    requirements.status === 'ready'
      ? requirements.value
          .split('\n')
          .map(line => line.trim())
          .filter(line => line !== '' && !line.startsWith('#'))
      : [];
  return (
    <DetailSection
      title={trans.__('Python requirements')}
      count={requirements.status === 'ready' ? lines.length : null}
    >
      {requirements.status === 'ready' ? (
        <ul
          className="jp-Trackside-ModelRequirements"
          aria-label={trans.__('Python requirements')}
        >
          {lines.map((line, i) => (
            <li key={i} className="jp-Trackside-DetailMono">
              {line}
            </li>
          ))}
        </ul>
      ) : (
        <PartStatus
          part={requirements}
          missing={trans.__('No requirements.txt.')}
          trans={trans}
        />
      )}
    </DetailSection>
  );
}

/**
 * The `MLmodel` file, highlighted as YAML, behind a toggle.
 */
export function MLmodelFile(props: {
  text: string;
  languages: IEditorLanguageRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [shown, setShown] = React.useState(false);
  return (
    <DetailSection
      title={trans.__('MLmodel file')}
      count={null}
      extra={
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-Trackside-DetailToggle"
          aria-pressed={shown}
          onClick={() => setShown(!shown)}
        >
          {shown ? trans.__('Hide') : trans.__('Show')}
        </button>
      }
    >
      {shown ? (
        <HighlightedCode
          code={props.text}
          language="yaml"
          languages={props.languages}
          label={trans.__('MLmodel file')}
        />
      ) : null}
    </DetailSection>
  );
}

/**
 * A size as text, or the part's status.
 */
export function sizeText(part: Part<number>, trans: TranslationBundle): string {
  switch (part.status) {
    case 'ready':
      return formatBytes(part.value);
    case 'loading':
      return trans.__('…');
    default:
      return trans.__('unknown');
  }
}
