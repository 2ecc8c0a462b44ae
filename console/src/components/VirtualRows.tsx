import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A list of many rows with only the visible ones in the page: a live tail
 * at 1,000 events/s keeps tens of thousands of rows, and the browser lays
 * out a few dozen. Rows have one fixed height. With `follow`, the view stays
 * at the newest row.
 */
export function VirtualRows({ count, rowHeight, height, follow, label, row }: { count: number; rowHeight: number; height: number; follow: boolean; label: string; row(index: number): ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    if (follow && box.current) {
      box.current.scrollTop = box.current.scrollHeight;
      setTop(box.current.scrollTop);
    }
  }, [count, follow]);
  const first = Math.max(0, Math.floor(top / rowHeight) - 5);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + 5);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <li key={i} className="vrow" style={{ top: i * rowHeight, height: rowHeight }} aria-setsize={count} aria-posinset={i + 1}>
        {row(i)}
      </li>,
    );
  }
  return (
    <div ref={box} className="vrows" style={{ height }} onScroll={(e) => setTop(e.currentTarget.scrollTop)} tabIndex={0} role="region" aria-label={label}>
      <ul className="vrows-inner" style={{ height: count * rowHeight }}>
        {rows}
      </ul>
    </div>
  );
}
