//! One live instance of the component: its store (with WASI and the limits) and the
//! ruleset handles it holds.

use std::collections::HashMap;

use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::{ComponentInner, Error, Limit, Options, TICK, bindings};

/// What a store holds: WASI with nothing granted (no files, environment, arguments or
/// standard streams), and the memory limiter.
pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: Limiter,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// [`StoreLimits`] that remembers whether it refused to grow a memory, to tell a memory
/// limit from other traps.
struct Limiter {
    inner: StoreLimits,
    refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let r = self.inner.memory_growing(current, desired, maximum);
        if !matches!(r, Ok(true)) {
            self.refused = true;
        }
        r
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let r = self.inner.table_growing(current, desired, maximum);
        if !matches!(r, Ok(true)) {
            self.refused = true;
        }
        r
    }
}

/// An instance and the ruleset handles in it, by ruleset key.
pub(crate) struct Live {
    pub(crate) store: Store<State>,
    pub(crate) api: bindings::Waymark,
    pub(crate) handles: HashMap<u64, ResourceAny>,
}

impl Live {
    /// A fresh instance from the pre-linked template.
    pub(crate) fn new(c: &ComponentInner) -> Result<Live, Error> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(c.options.memory_bytes)
            .trap_on_grow_failure(true)
            .build();
        let state = State {
            wasi: WasiCtxBuilder::new().build(),
            table: ResourceTable::new(),
            limits: Limiter {
                inner: limits,
                refused: false,
            },
        };
        let mut store = Store::new(&c.engine, state);
        store.limiter(|s| &mut s.limits);
        arm(&mut store, &c.options).map_err(|e| classify(e, false))?;
        match c.pre.instantiate(&mut store) {
            Ok(api) => Ok(Live {
                store,
                api,
                handles: HashMap::new(),
            }),
            Err(e) => {
                let refused = store.data().limits.refused;
                Err(classify(e, refused))
            }
        }
    }

    /// Refills the fuel and restarts the deadline for the next call into the guest.
    pub(crate) fn arm(&mut self, options: &Options) -> wasmtime::Result<()> {
        arm(&mut self.store, options)
    }

    /// True when the limiter refused memory since the last [`Live::arm`].
    pub(crate) fn refused_memory(&self) -> bool {
        self.store.data().limits.refused
    }
}

fn arm(store: &mut Store<State>, options: &Options) -> wasmtime::Result<()> {
    if let Some(fuel) = options.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(deadline) = options.deadline {
        let ticks = deadline
            .as_nanos()
            .div_ceil(TICK.as_nanos())
            .saturating_add(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    }
    store.data_mut().limits.refused = false;
    Ok(())
}

/// The typed error for a failed call into the guest.
pub(crate) fn classify(e: wasmtime::Error, refused_memory: bool) -> Error {
    if refused_memory {
        return Error::Limit(Limit::Memory);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Error::Limit(Limit::Fuel),
        Some(Trap::Interrupt) => Error::Limit(Limit::Deadline),
        _ => Error::Trap(format!("{e:#}")),
    }
}
