import * as React from 'react';

/**
 * A titled section.
 */
export function DetailSection(props: {
  title: string;
  count: number | null;
  children: React.ReactNode;
  extra?: React.ReactNode;
}): JSX.Element {
  const id = React.useId();
  return (
    <section className="jp-Trackside-DetailSection" aria-labelledby={id}>
      <h4 className="jp-Trackside-DetailSectionTitle" id={id}>
        {props.title}
        {props.count !== null ? (
          <span className="jp-Trackside-DetailCount">{props.count}</span>
        ) : null}
        {props.extra}
      </h4>
      {props.children}
    </section>
  );
}
