import * as React from 'react';
import { FixedSizeList, ListChildComponentProps } from 'react-window';

interface IRowData<T> {
  items: T[];
  render: (item: T, index: number) => JSX.Element;
}

function Row<T>(props: ListChildComponentProps<IRowData<T>>): JSX.Element {
  const { index, style, data } = props;
  return (
    <div style={style} role="listitem" className="jp-StudioBackup-row">
      {data.render(data.items[index], index)}
    </div>
  );
}

/**
 * A list that renders only the rows in view (react-window), filling the height its parent gives it,
 * so thousands of snapshots or folder entries scroll as fast as ten.
 */
export function VirtualList<T>(props: {
  items: T[];
  rowHeight: number;
  className: string;
  label: string;
  itemKey: (item: T) => string;
  render: (item: T, index: number) => JSX.Element;
  /** Called when the last rows come into view, to load the next page. */
  onNearEnd?: () => void;
}): JSX.Element {
  const ref = React.useRef<HTMLDivElement>(null);
  const [height, setHeight] = React.useState(0);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const measure = () => setHeight(node.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  const { items, onNearEnd } = props;
  const data = React.useMemo(
    () => ({ items, render: props.render }),
    [items, props.render]
  );
  return (
    <div
      ref={ref}
      className={`jp-StudioBackup-virtual ${props.className}`}
      role="list"
      aria-label={props.label}
    >
      {height > 0 && (
        <FixedSizeList
          height={height}
          width="100%"
          itemCount={items.length}
          itemSize={props.rowHeight}
          itemData={data}
          itemKey={(index, d) => props.itemKey(d.items[index])}
          overscanCount={10}
          onItemsRendered={({ visibleStopIndex }) => {
            if (onNearEnd && visibleStopIndex >= items.length - 20) {
              onNearEnd();
            }
          }}
        >
          {Row as React.ComponentType<ListChildComponentProps<IRowData<T>>>}
        </FixedSizeList>
      )}
    </div>
  );
}
