import * as React from 'react';
import type { IBackupsContext } from '../context';
import {
  dayBoundaries,
  keyStep,
  nearestIndex,
  pointerPosition,
  positionOf,
  rangeOf,
  tickPositions,
  timeAt,
  TIMELINE_DAYS,
  timelineSnapshots
} from '../timeline';

function moment(time: number): string {
  return new Date(time).toLocaleString([], {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

function weekday(time: number): string {
  return new Date(time).toLocaleDateString([], { weekday: 'short' });
}

/** Moves each day label that ends past the strip's inner edge left by as much (in pixels). */
function fitDayLabels(strip: HTMLElement): void {
  const limit = strip.getBoundingClientRect().right - strip.clientLeft;
  strip
    .querySelectorAll<HTMLElement>('.jp-StudioBackup-timelineDayLabel')
    .forEach(label => {
      label.style.transform = '';
      const over = label.getBoundingClientRect().right - limit;
      if (over > 0) {
        label.style.transform = `translateX(${-Math.ceil(over)}px)`;
      }
    });
}

const percent = (position: number) => `${(position * 100).toFixed(3)}%`;

/**
 * The snapshots of the last days as a strip to scrub (Time Machine's idea): dragging the marker or
 * the arrow keys, Page Up/Down, Home and End move it from snapshot to snapshot, the time under it
 * shows, and on release the nearest snapshot opens — at the folder being browsed, when one is.
 */
export function Timeline(props: { ctx: IBackupsContext }): JSX.Element | null {
  const { ctx } = props;
  const { snapshots: model, trans } = ctx;
  const shown = React.useMemo(
    () => timelineSnapshots(model.snapshots),
    [model.snapshots]
  );
  const times = React.useMemo(
    () => shown.map(s => Date.parse(s.time)),
    [shown]
  );
  const range = rangeOf(times);
  const browsed = model.browsing?.snapshot;
  const browsedIndex = browsed ? shown.findIndex(s => s.id === browsed) : -1;
  // While a drag goes on: the pointer's position (0 to 1). After a key or a release: the snapshot
  // chosen, until the browser shows it.
  const [drag, setDrag] = React.useState<number | null>(null);
  const [picked, setPicked] = React.useState<number | null>(null);
  const pickedRef = React.useRef<number | null>(null);
  const track = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    pickedRef.current = null;
    setPicked(null);
  }, [browsed, times]);
  const strip = React.useRef<HTMLDivElement>(null);
  // Once laid out, and whenever the sidebar's width changes: a day's label that would run past
  // the strip's end moves left into it (its line stays on the day's start).
  React.useLayoutEffect(() => {
    const node = strip.current;
    if (!node) {
      return;
    }
    const fit = () => fitDayLabels(node);
    fit();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(fit);
    observer.observe(node);
    return () => observer.disconnect();
  }, [range.start, range.end, shown.length]);

  if (shown.length < 2) {
    return null;
  }
  const last = shown.length - 1;
  const index =
    drag !== null
      ? nearestIndex(times, timeAt(drag, range))
      : (picked ?? (browsedIndex >= 0 ? browsedIndex : last));
  const chosen = positionOf(times[index], range);
  const marker = drag ?? chosen;

  const pick = (i: number) => {
    pickedRef.current = i;
    setPicked(i);
  };
  const open = (i: number) => {
    const snapshot = shown[i];
    const current = model.browsing;
    if (snapshot && snapshot.id !== current?.snapshot) {
      void model.browse(snapshot.id, current?.path ?? '', true);
    }
  };
  const positionAt = (clientX: number) => {
    const box = track.current!.getBoundingClientRect();
    return pointerPosition(clientX, box.left, box.width);
  };
  const onPointerDown = (event: React.PointerEvent<HTMLDivElement>) => {
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    event.currentTarget.focus();
    event.currentTarget.setPointerCapture?.(event.pointerId);
    setDrag(positionAt(event.clientX));
  };
  const onPointerMove = (event: React.PointerEvent<HTMLDivElement>) => {
    if (drag !== null) {
      setDrag(positionAt(event.clientX));
    }
  };
  const onPointerUp = (event: React.PointerEvent<HTMLDivElement>) => {
    if (drag === null) {
      return;
    }
    const i = nearestIndex(times, timeAt(positionAt(event.clientX), range));
    setDrag(null);
    pick(i);
    open(i);
  };
  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    const next = keyStep(event.key, pickedRef.current ?? index, times);
    if (next !== null) {
      event.preventDefault();
      pick(next);
    }
  };
  // Held down, a key moves the marker; the snapshot opens once, when the key is released.
  const onKeyUp = (event: React.KeyboardEvent<HTMLDivElement>) => {
    if (keyStep(event.key, 0, times) !== null) {
      open(pickedRef.current ?? index);
    }
  };

  const when = moment(times[index]);
  // The time's label stays inside the strip at both ends.
  const align =
    marker < 0.2 ? 'jp-mod-start' : marker > 0.8 ? 'jp-mod-end' : '';
  return (
    <div className="jp-StudioBackup-timeline">
      <div className="jp-StudioBackup-timelineCaption">
        {trans._n(
          'Timeline: %1 snapshot of the last %2 days',
          'Timeline: %1 snapshots of the last %2 days',
          shown.length,
          TIMELINE_DAYS
        )}
      </div>
      <div
        className={`jp-StudioBackup-timelineStrip${drag !== null ? ' jp-mod-dragging' : ''}`}
        ref={strip}
        role="slider"
        tabIndex={0}
        aria-label={trans.__('Snapshot timeline')}
        aria-orientation="horizontal"
        aria-valuemin={1}
        aria-valuemax={shown.length}
        aria-valuenow={index + 1}
        aria-valuetext={trans.__(
          '%1, snapshot %2 of %3',
          when,
          index + 1,
          shown.length
        )}
        title={trans.__(
          'Drag, or use the arrow keys, to browse the snapshot of that time'
        )}
        data-snapshot={shown[index].id}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => setDrag(null)}
        onKeyDown={onKeyDown}
        onKeyUp={onKeyUp}
      >
        <div className="jp-StudioBackup-timelineTrack" ref={track}>
          {dayBoundaries(range).map(day => (
            <span
              key={day.time}
              className="jp-StudioBackup-timelineDay"
              style={{ left: percent(day.position) }}
            >
              <span className="jp-StudioBackup-timelineDayLabel">
                {weekday(day.time)}
              </span>
            </span>
          ))}
          {tickPositions(times, range).map(position => (
            <span
              key={position}
              className="jp-StudioBackup-timelineTick"
              style={{ left: percent(position) }}
            />
          ))}
          <span
            className="jp-StudioBackup-timelineChosen"
            style={{ left: percent(chosen) }}
          />
          <span
            className="jp-StudioBackup-timelineMarker"
            style={{ left: percent(marker) }}
          />
        </div>
      </div>
      <div className="jp-StudioBackup-timelineTimes" aria-hidden="true">
        <span
          className={`jp-StudioBackup-timelineTime ${align}`}
          style={{ left: percent(marker) }}
        >
          {when}
        </span>
      </div>
    </div>
  );
}
