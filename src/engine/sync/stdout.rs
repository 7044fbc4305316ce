//! The shared standard output. There is no text buffer: the console is a view of the
//! trace, so printing is recording a `Print` event for the calling worker. `write` emits
//! one piece at a time, so pieces of different workers really interleave (the garbled
//! lines of the lock lesson), while `print` emits a whole line at once.

use crate::engine::run::RunCtx;
use crate::engine::trace::EventKind;
use crate::engine::EngineResult;

/// Python's `print(line)`: the whole line and its newline in one event.
pub fn print(line: &str) -> EngineResult<()> {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    emit(text)
}

/// `sys.stdout.write(piece)`: exactly `piece`, no newline added.
pub fn write(piece: &str) -> EngineResult<()> {
    emit(piece.to_string())
}

fn emit(text: String) -> EngineResult<()> {
    let (ctx, _worker) = RunCtx::require()?;
    ctx.sync_point()?;
    ctx.emit(None, EventKind::Print { text });
    ctx.progress();
    Ok(())
}
