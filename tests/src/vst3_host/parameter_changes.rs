//! The host's `IParameterChanges` and `IParamValueQueue`: parameter automation handed to
//! `IAudioProcessor::process`, one queue per parameter, each a list of (sample offset, normalised
//! value) points sorted by offset.
//!
//! Behaviour follows the VST3 SDK's documentation of `IParameterChanges` and `IParamValueQueue`
//! (`pluginterfaces/vst/ivstparameterchanges.h`): `addParameterData` returns the existing queue
//! for a parameter ID or a new one, and its index; `addPoint` keeps points sorted by offset and
//! replaces the value of a point already at that offset. Queues are pooled so that refilling the
//! changes for the next block does not allocate once the pool and point lists have grown.
//! Pointers returned by `getParameterData`/`addParameterData` are borrowed (not add-ref'd), as in
//! the SDK's own implementation; they stay valid for the lifetime of the `ParameterChanges`.

use std::cell::{Cell, RefCell};

use vst3::Steinberg::Vst::{
    IParamValueQueue, IParamValueQueueTrait, IParameterChanges, IParameterChangesTrait, ParamID,
    ParamValue,
};
use vst3::Steinberg::{int32, kInvalidArgument, kResultOk, tresult};
use vst3::{Class, ComWrapper};

/// One parameter's automation points within a block.
pub struct ParamValueQueue {
    param_id: Cell<ParamID>,
    points: RefCell<Vec<(int32, ParamValue)>>,
}

impl Class for ParamValueQueue {
    type Interfaces = (IParamValueQueue,);
}

impl ParamValueQueue {
    fn new_com(capacity: usize) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            param_id: Cell::new(0),
            points: RefCell::new(Vec::with_capacity(capacity)),
        })
    }

    /// The (sample offset, normalised value) points, sorted by offset.
    pub fn points(&self) -> Vec<(i32, f64)> {
        self.points.borrow().clone()
    }

    /// The parameter this queue automates.
    pub fn param_id(&self) -> u32 {
        self.param_id.get()
    }
}

impl IParamValueQueueTrait for ParamValueQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.param_id.get()
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.borrow().len() as int32
    }

    unsafe fn getPoint(
        &self,
        index: int32,
        sample_offset: *mut int32,
        value: *mut ParamValue,
    ) -> tresult {
        let points = self.points.borrow();
        let Some(&(offset, point_value)) = usize::try_from(index)
            .ok()
            .and_then(|index| points.get(index))
        else {
            return kInvalidArgument;
        };
        if sample_offset.is_null() || value.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: both out pointers checked non-null.
        unsafe {
            *sample_offset = offset;
            *value = point_value;
        }
        kResultOk
    }

    unsafe fn addPoint(
        &self,
        sample_offset: int32,
        value: ParamValue,
        index: *mut int32,
    ) -> tresult {
        if sample_offset < 0 || !(0.0..=1.0).contains(&value) {
            return kInvalidArgument;
        }
        let mut points = self.points.borrow_mut();
        let position = points.partition_point(|(offset, _)| *offset < sample_offset);
        if points
            .get(position)
            .is_some_and(|(offset, _)| *offset == sample_offset)
        {
            points[position].1 = value;
        } else {
            points.insert(position, (sample_offset, value));
        }
        if !index.is_null() {
            // SAFETY: a non-null out pointer from the caller.
            unsafe { *index = position as int32 };
        }
        kResultOk
    }
}

/// All parameter queues for one `process` call.
pub struct ParameterChanges {
    pool: RefCell<Vec<ComWrapper<ParamValueQueue>>>,
    used: Cell<usize>,
    points_per_queue: usize,
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl ParameterChanges {
    /// An empty set of changes with `queues` queues of `points_per_queue` points preallocated,
    /// wrapped as a reference-counted COM object.
    pub fn new_com(queues: usize, points_per_queue: usize) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            pool: RefCell::new(
                (0..queues)
                    .map(|_| ParamValueQueue::new_com(points_per_queue))
                    .collect(),
            ),
            used: Cell::new(0),
            points_per_queue,
        })
    }

    /// Empties every queue (keeping their memory) for the next block.
    pub fn clear(&self) {
        let pool = self.pool.borrow();
        for queue in &pool[..self.used.get()] {
            queue.points.borrow_mut().clear();
        }
        self.used.set(0);
    }

    /// Adds a point for `param_id` at `sample_offset` from the host side.
    pub fn add_point(&self, param_id: u32, sample_offset: i32, value: f64) -> anyhow::Result<()> {
        let mut index = 0;
        // SAFETY: `index` is a valid out pointer; the returned queue pointer is ours.
        let queue = unsafe { self.addParameterData(&param_id, &mut index) };
        anyhow::ensure!(
            !queue.is_null(),
            "could not add a queue for parameter {param_id}"
        );
        let queue = &self.pool.borrow()[index as usize];
        // SAFETY: a null index pointer is allowed.
        let result = unsafe { queue.addPoint(sample_offset, value, std::ptr::null_mut()) };
        anyhow::ensure!(
            result == kResultOk,
            "invalid point ({sample_offset}, {value}) for parameter {param_id}"
        );
        Ok(())
    }

    /// Every non-empty queue's parameter ID and points, in queue order.
    pub fn queues(&self) -> Vec<(u32, Vec<(i32, f64)>)> {
        self.pool.borrow()[..self.used.get()]
            .iter()
            .map(|queue| (queue.param_id(), queue.points()))
            .collect()
    }
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.used.get() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        let pool = self.pool.borrow();
        match usize::try_from(index) {
            Ok(index) if index < self.used.get() => pool[index]
                .as_com_ref::<IParamValueQueue>()
                .map_or(std::ptr::null_mut(), |queue| queue.as_ptr()),
            _ => std::ptr::null_mut(),
        }
    }

    unsafe fn addParameterData(
        &self,
        id: *const ParamID,
        index: *mut int32,
    ) -> *mut IParamValueQueue {
        if id.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: checked non-null above.
        let id = unsafe { *id };
        let used = self.used.get();
        let mut pool = self.pool.borrow_mut();
        let position = match pool[..used].iter().position(|queue| queue.param_id() == id) {
            Some(position) => position,
            None => {
                if used == pool.len() {
                    pool.push(ParamValueQueue::new_com(self.points_per_queue));
                }
                pool[used].param_id.set(id);
                pool[used].points.borrow_mut().clear();
                self.used.set(used + 1);
                used
            }
        };
        if !index.is_null() {
            // SAFETY: a non-null out pointer from the caller.
            unsafe { *index = position as int32 };
        }
        pool[position]
            .as_com_ref::<IParamValueQueue>()
            .map_or(std::ptr::null_mut(), |queue| queue.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_keep_points_sorted_and_replace_points_at_the_same_offset() {
        let changes = ParameterChanges::new_com(1, 4);
        changes.add_point(7, 10, 0.5).expect("point");
        changes.add_point(7, 2, 0.25).expect("point");
        changes
            .add_point(9, 0, 1.0)
            .expect("point, second queue beyond the pool of one");
        changes.add_point(7, 10, 0.75).expect("replacing point");
        assert_eq!(
            changes.queues(),
            vec![(7, vec![(2, 0.25), (10, 0.75)]), (9, vec![(0, 1.0)])],
            "queues after four points"
        );
        let pointer = changes
            .to_com_ptr::<IParameterChanges>()
            .expect("interface");
        // SAFETY: calls through our own COM object.
        unsafe {
            assert_eq!(pointer.getParameterCount(), 2, "queue count");
            let queue = pointer.getParameterData(1);
            assert!(!queue.is_null(), "queue 1 exists");
            let queue = vst3::ComRef::from_raw(queue).expect("non-null");
            assert_eq!(queue.getParameterId(), 9, "queue 1's parameter");
            assert!(pointer.getParameterData(2).is_null(), "no queue 2");
            assert_eq!(
                queue.addPoint(0, 1.5, std::ptr::null_mut()),
                kInvalidArgument,
                "value > 1"
            );
        }
        changes.clear();
        assert!(changes.queues().is_empty(), "cleared");
    }
}
