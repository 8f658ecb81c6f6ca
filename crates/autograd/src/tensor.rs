//! [`Tensor`]: an n-dimensional, row-major, contiguous array with shared storage.
//!
//! A tensor is plain data: it knows nothing about tapes or gradients. Differentiable math
//! happens on [`Var`](crate::Var)s, which pair a tensor with its place on a tape.

use crate::error::Site;
use crate::parallel::{self, Blocks};
use crate::{Error, Float, Result, Shape};
use rand::Rng;
use smallvec::SmallVec;
use std::fmt;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// An n-dimensional array of `f32` or `f64`, row-major and contiguous.
///
/// Cloning is cheap: clones share the storage, and a write through [`Tensor::data_mut`]
/// copies first if the storage is shared (copy on write).
///
/// ```
/// use autograd::Tensor;
/// let t = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap();
/// assert_eq!(t.dims(), &[2, 3]);
/// assert_eq!(t.at(&[1, 0]), 4.0);
/// ```
#[derive(Clone)]
pub struct Tensor<T: Float = f32> {
    shape: Shape,
    data: Storage<T>,
}

/// The elements. A one-element tensor keeps its value inline, so scalar code (losses,
/// micrograd-style graphs) never touches the heap; anything larger is one shared `Vec`, so a
/// `Vec` handed to [`Tensor::from_vec`] (or built by a kernel) becomes the storage as it is,
/// without a copy. [`Tensor::rows`] views a run of rows of another tensor's `Vec` (a batch of
/// consecutive samples, without copying them), behind a pointer of its own so that every
/// variant stays one word: scalar code moves tensors by the million, and a wider enum made
/// the scalar chain 16 % slower.
#[derive(Clone)]
enum Storage<T> {
    One(T),
    Shared(Arc<Vec<T>>),
    Rows(Arc<RowsOf<T>>),
}

/// The storage of a [`Tensor::rows`] view: the tensor's `numel` elements of `all` from `start`.
struct RowsOf<T> {
    all: Arc<Vec<T>>,
    start: usize,
}

impl<T: Float> Storage<T> {
    /// Collects exactly `len` elements: inline if one, otherwise a single allocation (slice
    /// iterators with `map` and `zip` report their exact length, so the `Vec` allocates once).
    #[inline]
    fn collect(len: usize, mut iter: impl Iterator<Item = T>) -> Self {
        if len == 1 {
            Storage::One(iter.next().expect("an iterator of one element"))
        } else {
            Storage::Shared(Arc::new(iter.collect()))
        }
    }
}

/// Tensors at least this large (in bytes) are allocated only after the allocator has granted
/// the memory once (`try_reserve_exact`, released at once), so that a tensor too large for the
/// machine is an [`Error::Allocation`] rather than an abort. The probe costs two system calls,
/// nothing next to filling a mebibyte; smaller tensors skip it (if those cannot be allocated,
/// the process is out of memory whatever it does next).
const PROBED_BYTES: usize = 1 << 20;

/// The element count of a tensor of `shape` with elements of `T`, or [`Error::Allocation`] if
/// the count or its bytes overflow, or, for a large tensor, the allocator refuses the memory.
pub(crate) fn check_allocation<T: Float>(shape: &Shape) -> Result<usize> {
    let size = std::mem::size_of::<T>();
    let refused = |bytes| Err(Error::Allocation { shape: shape.clone(), bytes });
    let Some(n) = shape.checked_numel() else { return refused(None) };
    match n.checked_mul(size) {
        Some(bytes) if bytes <= isize::MAX as usize => {
            if bytes >= PROBED_BYTES && Vec::<T>::new().try_reserve_exact(n).is_err() {
                return refused(Some(bytes as u128));
            }
            Ok(n)
        }
        _ => refused(Some(n as u128 * size as u128)),
    }
}

/// [`check_allocation`] for the result of `op` called at `site`: [`Error::ResultTooLarge`].
pub(crate) fn check_result<T: Float>(op: &'static str, shape: &Shape, site: Site) -> Result<()> {
    match check_allocation::<T>(shape) {
        Err(Error::Allocation { shape, bytes }) => Err(Error::ResultTooLarge { op, shape, bytes, site }),
        other => other.map(drop),
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor of the given shape from row-major data; fails if the lengths disagree. The
    /// `Vec` becomes the tensor's storage as it is (no copy).
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        if shape.checked_numel() != Some(data.len()) {
            return Err(Error::DataLength { len: data.len(), shape });
        }
        Ok(Tensor::from_parts(data, shape))
    }

    /// Wraps data whose length is known to match (crate-internal constructor for kernels). The
    /// `Vec` becomes the storage: no copy.
    #[inline]
    pub(crate) fn from_parts(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), shape.numel(), "kernel produced the wrong number of values");
        let data = match data.as_slice() {
            [one] => Storage::One(*one),
            _ => Storage::Shared(Arc::new(data)),
        };
        Tensor { shape, data }
    }

    /// A tensor from an iterator that yields exactly `shape.numel()` values (crate-internal:
    /// kernels use it to fill the result in one allocation).
    #[inline]
    pub(crate) fn from_exact_iter(shape: Shape, iter: impl Iterator<Item = T>) -> Self {
        let tensor = Tensor { data: Storage::collect(shape.numel(), iter), shape };
        debug_assert_eq!(tensor.data().len(), tensor.shape.numel(), "kernel produced the wrong number of values");
        tensor
    }

    /// A tensor whose `shape.numel()` elements are written by `fill` into uninitialized
    /// memory (for GEMM, which writes every output element when β = 0).
    ///
    /// # Safety
    /// `fill` must write every one of the `shape.numel()` elements behind the pointer.
    pub(crate) unsafe fn from_writer(shape: Shape, fill: impl FnOnce(*mut T)) -> Self {
        let len = shape.numel();
        let data = if len == 1 {
            let mut one = T::ZERO;
            fill(&mut one);
            Storage::One(one)
        } else {
            let mut buffer = Vec::with_capacity(len);
            fill(buffer.as_mut_ptr());
            // SAFETY: the capacity is `len`, and the caller guarantees `fill` initialized all
            // `len` elements.
            unsafe { buffer.set_len(len) };
            Storage::Shared(Arc::new(buffer))
        };
        Tensor { shape, data }
    }

    /// A one-element tensor of rank 0.
    pub fn scalar(value: T) -> Self {
        Tensor { shape: Shape::scalar(), data: Storage::One(value) }
    }

    /// A 1-D tensor holding a copy of `values`.
    pub fn vector(values: &[T]) -> Self {
        Tensor::from_parts(values.to_vec(), Shape::from(values.len()))
    }

    /// A tensor filled with `value`.
    ///
    /// # Panics
    /// If the tensor cannot be allocated (see [`Tensor::try_full`], the fallible form).
    #[track_caller]
    pub fn full(shape: impl Into<Shape>, value: T) -> Self {
        Tensor::try_full(shape, value).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A tensor of zeros.
    ///
    /// # Panics
    /// If the tensor cannot be allocated (see [`Tensor::try_zeros`], the fallible form).
    #[track_caller]
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Tensor::full(shape, T::ZERO)
    }

    /// A tensor of ones.
    ///
    /// # Panics
    /// If the tensor cannot be allocated (see [`Tensor::try_ones`], the fallible form).
    #[track_caller]
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Tensor::full(shape, T::ONE)
    }

    /// A tensor filled with `value`, or [`Error::Allocation`] naming the shape and the bytes
    /// if its element count overflows or the memory is not there.
    ///
    /// ```
    /// use autograd::{Error, Tensor};
    /// assert_eq!(Tensor::<f32>::try_full([2], 7.0).unwrap().to_vec(), vec![7.0, 7.0]);
    /// let err = Tensor::<f32>::try_zeros([1 << 63, 2]).unwrap_err();
    /// assert!(matches!(err, Error::Allocation { bytes: None, .. }), "{err}");
    /// let err = Tensor::<f32>::try_ones([1 << 40]).unwrap_err(); // 4 TiB
    /// assert_eq!(err.to_string(), "cannot allocate a tensor of shape [1099511627776]: 4398046511104 bytes");
    /// ```
    #[track_caller]
    pub fn try_full(shape: impl Into<Shape>, value: T) -> Result<Self> {
        let shape = shape.into();
        let n = check_allocation::<T>(&shape)?;
        Ok(Tensor::from_exact_iter(shape, std::iter::repeat_n(value, n)))
    }

    /// A tensor of zeros, or [`Error::Allocation`] (see [`Tensor::try_full`]).
    #[track_caller]
    pub fn try_zeros(shape: impl Into<Shape>) -> Result<Self> {
        Tensor::try_full(shape, T::ZERO)
    }

    /// A tensor of ones, or [`Error::Allocation`] (see [`Tensor::try_full`]).
    #[track_caller]
    pub fn try_ones(shape: impl Into<Shape>) -> Result<Self> {
        Tensor::try_full(shape, T::ONE)
    }

    /// The 1-D tensor `[start, start + step, …]` of all values below `end` (as NumPy's
    /// `arange`); fails if `step` is zero or not finite, or if there would be more values than
    /// fit in memory.
    #[track_caller]
    pub fn arange(start: T, end: T, step: T) -> Result<Self> {
        let steps = ((end - start) / step).to_f64();
        let most = (isize::MAX as usize / std::mem::size_of::<T>()) as f64;
        if !step.is_finite() || step == T::ZERO || !steps.is_finite() || steps > most {
            return Err(Error::invalid("arange", format!("step {step} from {start} to {end}")));
        }
        let n = steps.ceil().max(0.0) as usize;
        check_allocation::<T>(&Shape::from(n))?;
        let data = (0..n).map(|i| start + step * T::from_usize(i)).collect::<Vec<_>>();
        Ok(Tensor::from_parts(data, Shape::from(n)))
    }

    /// Values drawn uniformly from `[low, high)` with the given random generator (pass a seeded
    /// one, e.g. `StdRng::seed_from_u64(0)`, for reproducible results).
    ///
    /// # Panics
    /// If the bounds are not finite with `low ≤ high`, or the tensor cannot be allocated (see
    /// [`Tensor::try_rand_uniform`], the fallible form).
    #[track_caller]
    pub fn rand_uniform(shape: impl Into<Shape>, low: T, high: T, rng: &mut impl Rng) -> Self {
        Tensor::try_rand_uniform(shape, low, high, rng).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`rand_uniform`](Tensor::rand_uniform), or an error for bounds that are not finite with
    /// `low ≤ high` (as PyTorch's `uniform_`), and [`Error::Allocation`] for a tensor that
    /// cannot be allocated.
    ///
    /// ```
    /// use autograd::Tensor;
    /// use rand::{rngs::StdRng, SeedableRng};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// assert!(Tensor::<f64>::try_rand_uniform([3], -1.0, 1.0, &mut rng).is_ok());
    /// assert!(Tensor::<f64>::try_rand_uniform([3], 0.0, f64::INFINITY, &mut rng).is_err());
    /// assert!(Tensor::<f64>::try_rand_uniform([3], f64::NAN, 1.0, &mut rng).is_err());
    /// ```
    #[track_caller]
    pub fn try_rand_uniform(shape: impl Into<Shape>, low: T, high: T, rng: &mut impl Rng) -> Result<Self> {
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return Err(Error::invalid(
                "rand_uniform",
                format!("bounds [{low}, {high}) must be finite with low ≤ high"),
            ));
        }
        let shape = shape.into();
        let n = check_allocation::<T>(&shape)?;
        let (low, high) = (low.to_f64(), high.to_f64());
        let data = (0..n).map(|_| T::from_f64(low + (high - low) * rng.random::<f64>())).collect();
        Ok(Tensor::from_parts(data, shape))
    }

    /// Values drawn from a normal distribution N(mean, std²) with the given random generator
    /// (Box–Muller on the generator's `f64`s, so the values depend only on the seed).
    ///
    /// # Panics
    /// If `mean` is not finite or `std` is not finite and non-negative, or the tensor cannot be
    /// allocated (see [`Tensor::try_rand_normal`], the fallible form).
    #[track_caller]
    pub fn rand_normal(shape: impl Into<Shape>, mean: T, std: T, rng: &mut impl Rng) -> Self {
        Tensor::try_rand_normal(shape, mean, std, rng).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`rand_normal`](Tensor::rand_normal), or an error for a mean that is not finite or a
    /// standard deviation that is negative, NaN or infinite (PyTorch's `normal_` refuses a
    /// negative one), and [`Error::Allocation`] for a tensor that cannot be allocated.
    ///
    /// ```
    /// use autograd::Tensor;
    /// use rand::{rngs::StdRng, SeedableRng};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// assert!(Tensor::<f32>::try_rand_normal([3], 0.0, 0.0, &mut rng).is_ok());
    /// let err = Tensor::<f32>::try_rand_normal([3], 0.0, -1.0, &mut rng).unwrap_err();
    /// assert!(err.to_string().contains("std -1"), "{err}");
    /// assert!(Tensor::<f32>::try_rand_normal([3], 0.0, f32::NAN, &mut rng).is_err());
    /// ```
    #[track_caller]
    pub fn try_rand_normal(shape: impl Into<Shape>, mean: T, std: T, rng: &mut impl Rng) -> Result<Self> {
        if !(mean.is_finite() && std.is_finite() && std >= T::ZERO) {
            return Err(Error::invalid(
                "rand_normal",
                format!("mean {mean} must be finite and std {std} finite and non-negative"),
            ));
        }
        let shape = shape.into();
        let n = check_allocation::<T>(&shape)?;
        let (mean, std) = (mean.to_f64(), std.to_f64());
        let mut data = Vec::with_capacity(n);
        while data.len() < n {
            // 1 - u lies in (0, 1], so the logarithm is finite.
            let u1 = 1.0 - rng.random::<f64>();
            let u2 = rng.random::<f64>();
            let r = (-2.0 * u1.ln()).sqrt();
            let theta = std::f64::consts::TAU * u2;
            data.push(T::from_f64(mean + std * r * theta.cos()));
            if data.len() < n {
                data.push(T::from_f64(mean + std * r * theta.sin()));
            }
        }
        Ok(Tensor::from_parts(data, shape))
    }

    /// A tensor of the given shape whose element at flat (row-major) index `i` is `f(i)`.
    ///
    /// # Panics
    /// If the tensor cannot be allocated (see [`Tensor::try_from_fn`], the fallible form).
    #[track_caller]
    pub fn from_fn(shape: impl Into<Shape>, f: impl FnMut(usize) -> T) -> Self {
        Self::try_from_fn(shape, f).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Tensor::from_fn`], or [`Error::Allocation`] for a tensor that cannot be allocated.
    ///
    /// ```
    /// use autograd::Tensor;
    /// let t = Tensor::<f64>::try_from_fn([2, 2], |i| i as f64).unwrap();
    /// assert_eq!(t.to_vec(), vec![0., 1., 2., 3.]);
    /// assert!(Tensor::<f32>::try_from_fn([1 << 40], |_| 0.0).is_err());
    /// ```
    pub fn try_from_fn(shape: impl Into<Shape>, f: impl FnMut(usize) -> T) -> Result<Self> {
        let shape = shape.into();
        let n = check_allocation::<T>(&shape)?;
        Ok(Tensor::from_parts((0..n).map(f).collect(), shape))
    }

    /// The shape.
    #[inline]
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Number of dimensions.
    #[inline]
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// Number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        match &self.data {
            Storage::One(_) => 1,
            Storage::Shared(all) => all.len(),
            Storage::Rows(_) => self.shape.numel(),
        }
    }

    /// The elements in row-major order.
    #[inline]
    pub fn data(&self) -> &[T] {
        match &self.data {
            Storage::One(v) => std::slice::from_ref(v),
            Storage::Shared(all) => all,
            Storage::Rows(rows) => &rows.all[rows.start..rows.start + self.shape.numel()],
        }
    }

    /// The element of a one-element tensor kept inline (how scalar code's tensors are kept).
    #[inline]
    pub(crate) fn one(&self) -> Option<T> {
        match self.data {
            Storage::One(v) => Some(v),
            Storage::Shared(_) | Storage::Rows(_) => None,
        }
    }

    /// [`one`](Tensor::one), mutable.
    #[inline]
    pub(crate) fn one_mut(&mut self) -> Option<&mut T> {
        match &mut self.data {
            Storage::One(v) => Some(v),
            Storage::Shared(_) | Storage::Rows(_) => None,
        }
    }

    /// Mutable access to the elements; copies the storage first if it is shared.
    pub fn data_mut(&mut self) -> &mut [T] {
        if let Storage::Rows(_) = self.data {
            self.data = Storage::Shared(Arc::new(self.data().to_vec()));
        }
        match &mut self.data {
            Storage::One(v) => std::slice::from_mut(v),
            Storage::Shared(all) => Arc::make_mut(all).as_mut_slice(),
            Storage::Rows(_) => unreachable!("copied out above"),
        }
    }

    /// The elements as a new `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.data().to_vec()
    }

    /// The elements as a `Vec`, taking the tensor apart: no copy unless the storage is shared
    /// with another tensor (or the tensor holds one element).
    ///
    /// ```
    /// use autograd::Tensor;
    /// let t = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], [3]).unwrap();
    /// assert_eq!(t.into_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    pub fn into_vec(self) -> Vec<T> {
        match self.data {
            Storage::One(v) => vec![v],
            Storage::Shared(all) => Arc::try_unwrap(all).unwrap_or_else(|shared| shared.as_ref().clone()),
            Storage::Rows(_) => self.data().to_vec(),
        }
    }

    /// The value of a one-element tensor.
    ///
    /// # Panics
    /// If the tensor has more than one element; [`Tensor::try_item`] is the fallible form.
    #[track_caller]
    pub fn item(&self) -> T {
        match self.try_item() {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// The value of a one-element tensor, or an error naming its shape.
    #[track_caller]
    pub fn try_item(&self) -> Result<T> {
        match self.data() {
            [v] => Ok(*v),
            _ => Err(Error::invalid("item", format!("tensor of shape {} is not one element", self.shape))),
        }
    }

    /// The element at a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of range (this is a test and debugging helper).
    #[track_caller]
    pub fn at(&self, index: &[usize]) -> T {
        assert_eq!(index.len(), self.rank(), "index {index:?} into a tensor of shape {}", self.shape);
        let mut flat = 0;
        for (&i, &d) in index.iter().zip(self.dims()) {
            assert!(i < d, "index {index:?} out of range for shape {}", self.shape);
            flat = flat * d + i;
        }
        self.data()[flat]
    }

    /// The same data under another shape with the same number of elements (no copy).
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        if shape.checked_numel() != Some(self.numel()) {
            return Err(Error::shapes("reshape", &self.shape, &shape));
        }
        Ok(Tensor { shape, data: self.data.clone() })
    }

    /// Rows `range` of the first axis, sharing this tensor's storage: no copy (a later write to
    /// either tensor copies first). How a batch of consecutive samples leaves a dataset. Fails on
    /// a tensor of rank 0 or a range outside the first axis.
    ///
    /// ```
    /// use autograd::Tensor;
    /// let t = Tensor::<f32>::from_fn([4, 2], |i| i as f32);
    /// let middle = t.rows(1..3).unwrap();
    /// assert_eq!((middle.dims(), middle.to_vec()), (&[2, 2][..], vec![2., 3., 4., 5.]));
    /// assert!(middle.shares_storage(&t));
    /// assert!(t.rows(3..5).is_err());
    /// ```
    #[track_caller]
    pub fn rows(&self, range: std::ops::Range<usize>) -> Result<Tensor<T>> {
        let site = Site::caller();
        let Some((&count, rest)) = self.dims().split_first() else {
            let msg = "a tensor of rank 0 has no rows".to_string();
            return Err(Error::InvalidArgument { op: "rows", msg, site });
        };
        if range.start > range.end || range.end > count {
            let msg = format!("rows {range:?} of a tensor of shape {}", self.shape);
            return Err(Error::InvalidArgument { op: "rows", msg, site });
        }
        let mut dims: SmallVec<[usize; 4]> = SmallVec::from_slice(self.dims());
        dims[0] = range.len();
        let shape = Shape::from(dims);
        let row: usize = rest.iter().product();
        let (first, len) = (range.start * row, range.len() * row);
        let data = match &self.data {
            _ if len == self.numel() => self.data.clone(),
            _ if len == 1 => Storage::One(self.data()[first]),
            _ if len == 0 => Storage::Shared(Arc::new(Vec::new())),
            Storage::Shared(all) => Storage::Rows(Arc::new(RowsOf { all: all.clone(), start: first })),
            Storage::Rows(rows) => Storage::Rows(Arc::new(RowsOf { all: rows.all.clone(), start: rows.start + first })),
            Storage::One(_) => unreachable!("a one-element tensor gives all its rows or none"),
        };
        Ok(Tensor { shape, data })
    }

    /// Converts every element to another float type.
    ///
    /// # Panics
    /// If the result cannot be allocated (see [`Tensor::try_cast`], the fallible form; `f32` to
    /// `f64` doubles the bytes).
    #[track_caller]
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        self.try_cast().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Tensor::cast`], or [`Error::Allocation`] if the result cannot be allocated.
    ///
    /// ```
    /// use autograd::Tensor;
    /// let t = Tensor::<f32>::vector(&[0.5, 2.0]).try_cast::<f64>().unwrap();
    /// assert_eq!(t.to_vec(), vec![0.5, 2.0]);
    /// ```
    pub fn try_cast<U: Float>(&self) -> Result<Tensor<U>> {
        check_allocation::<U>(&self.shape)?;
        Ok(Tensor::from_exact_iter(self.shape.clone(), self.data().iter().map(|v| U::from_f64(v.to_f64()))))
    }

    /// Whether any element is NaN or infinite.
    pub fn has_non_finite(&self) -> bool {
        self.data().iter().any(|v| !v.is_finite())
    }

    /// The largest absolute elementwise difference to `other` (∞ if the shapes differ): a
    /// helper for tests.
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> f64 {
        if self.shape != other.shape {
            return f64::INFINITY;
        }
        self.data().iter().zip(other.data()).map(|(a, b)| (a.to_f64() - b.to_f64()).abs()).fold(0.0, f64::max)
    }

    /// Elementwise `f(x)` into a new tensor of the same shape. Large tensors are split across
    /// chainrule's threads (see [`parallel`](crate::parallel)); the result does not depend on
    /// how many there are.
    #[inline]
    pub fn map(&self, f: impl Fn(T) -> T + Sync) -> Tensor<T> {
        if let Storage::One(x) = self.data {
            return Tensor { shape: self.shape.clone(), data: Storage::One(f(x)) };
        }
        Tensor::from_blocks(
            self.shape.clone(),
            self.data(),
            #[inline(always)]
            move |(out, x)| {
                for (o, &x) in out.iter_mut().zip(x) {
                    o.write(f(x));
                }
            },
        )
    }

    /// Elementwise `f(a, b)` of two tensors of the same shape (the caller checks the shapes).
    #[inline]
    pub(crate) fn zip_map(&self, other: &Tensor<T>, f: impl Fn(T, T) -> T + Sync) -> Tensor<T> {
        debug_assert_eq!(self.shape, other.shape);
        // Scalar code (a loss, a micrograd-style graph) runs one-element ops by the million:
        // they skip the loop machinery.
        if let (Storage::One(a), Storage::One(b)) = (&self.data, &other.data) {
            return Tensor { shape: self.shape.clone(), data: Storage::One(f(*a, *b)) };
        }
        Tensor::from_blocks(
            self.shape.clone(),
            (self.data(), other.data()),
            #[inline(always)]
            move |(out, (a, b))| {
                for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
                    o.write(f(a, b));
                }
            },
        )
    }

    /// Elementwise `f(a, b, c)` of three tensors of the same shape (the caller checks).
    #[inline]
    pub(crate) fn zip3_map(&self, b: &Tensor<T>, c: &Tensor<T>, f: impl Fn(T, T, T) -> T + Sync) -> Tensor<T> {
        debug_assert!(self.shape == b.shape && b.shape == c.shape);
        if let (Storage::One(x), Storage::One(y), Storage::One(z)) = (&self.data, &b.data, &c.data) {
            return Tensor { shape: self.shape.clone(), data: Storage::One(f(*x, *y, *z)) };
        }
        Tensor::from_blocks(
            self.shape.clone(),
            (self.data(), b.data(), c.data()),
            #[inline(always)]
            move |(out, (x, y, z))| {
                for (((o, &x), &y), &z) in out.iter_mut().zip(x).zip(y).zip(z) {
                    o.write(f(x, y, z));
                }
            },
        )
    }

    /// A tensor whose elements `body` writes, block by block, from the same blocks of `inputs`
    /// (slices of `shape.numel()` elements): an elementwise kernel, threaded and vectorized by
    /// [`parallel::for_each_block`](crate::parallel::for_each_block). `body` must write every
    /// element of its output block; zipping it with the input blocks does.
    #[inline]
    fn from_blocks<S: Blocks>(shape: Shape, inputs: S, body: impl Fn((&mut [MaybeUninit<T>], S)) + Sync) -> Tensor<T> {
        let len = shape.numel();
        assert_eq!(inputs.len(), len, "an elementwise kernel's inputs have the output's length");
        let fill = move |out: *mut T| {
            // SAFETY: `out` points at `len` writable elements (from_writer's contract).
            let out = unsafe { std::slice::from_raw_parts_mut(out.cast::<MaybeUninit<T>>(), len) };
            parallel::for_each_block(
                (out, inputs),
                #[inline(always)]
                move |(out, inputs)| body((out, inputs)),
            );
        };
        // SAFETY: `for_each_block` hands every index to `body` exactly once, which writes it.
        unsafe { Tensor::from_writer(shape, fill) }
    }

    /// Whether two tensors share one storage buffer.
    pub fn shares_storage(&self, other: &Tensor<T>) -> bool {
        match (&self.data, &other.data) {
            (Storage::Shared(a), Storage::Shared(b)) => Arc::ptr_eq(a, b),
            (Storage::Rows(a), Storage::Shared(b)) | (Storage::Shared(b), Storage::Rows(a)) => Arc::ptr_eq(&a.all, b),
            (Storage::Rows(a), Storage::Rows(b)) => Arc::ptr_eq(&a.all, &b.all),
            _ => false,
        }
    }
}

impl<T: Float> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.data() == other.data()
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}>{} ", T::DTYPE, self.shape)?;
        const SHOWN: usize = 8;
        let data = self.data();
        f.debug_list().entries(data.iter().take(SHOWN)).finish()?;
        if data.len() > SHOWN {
            write!(f, " … ({} more)", data.len() - SHOWN)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn constructors_check_lengths() {
        assert!(Tensor::<f32>::from_vec(vec![1.0; 5], [2, 3]).is_err());
        let e = Tensor::<f32>::from_vec(vec![1.0; 5], [2, 3]).unwrap_err();
        assert_eq!(e.to_string(), "5 values cannot fill a tensor of shape [2, 3] (6 elements)");
        assert_eq!(Tensor::<f64>::arange(0.0, 1.0, 0.25).unwrap().to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
        assert!(Tensor::<f64>::arange(0.0, 1.0, 0.0).is_err());
        assert!(Tensor::<f64>::arange(0.0, 1.0, 1e-300).is_err(), "too many values: an error, not an abort");
        assert_eq!(Tensor::<f32>::arange(3.0, 1.0, 1.0).unwrap().numel(), 0);
        // A count that wraps around usize is not "0 elements" (that would let an empty buffer
        // pose as a huge tensor for the raw-pointer kernels to overrun).
        let e = Tensor::<f64>::from_vec(vec![], [1 << 62, 4]).unwrap_err();
        assert!(e.to_string().ends_with("(more elements than usize can count)"), "{e}");
        assert!(Tensor::<f64>::from_vec(vec![], [1 << 62, 4, 0]).is_ok());
        assert!(Tensor::<f64>::zeros([0]).reshape([1 << 62, 4]).is_err());
    }

    #[test]
    fn same_seed_same_bits() {
        let a = Tensor::<f32>::rand_normal([3, 5], 0.0, 1.0, &mut StdRng::seed_from_u64(7));
        let b = Tensor::<f32>::rand_normal([3, 5], 0.0, 1.0, &mut StdRng::seed_from_u64(7));
        assert_eq!(a, b);
        let c = Tensor::<f32>::rand_normal([3, 5], 0.0, 1.0, &mut StdRng::seed_from_u64(8));
        assert_ne!(a, c);
    }

    #[test]
    fn normal_samples_have_the_right_moments() {
        let t = Tensor::<f64>::rand_normal([20000], 2.0, 3.0, &mut StdRng::seed_from_u64(1));
        let n = t.numel() as f64;
        let mean = t.data().iter().sum::<f64>() / n;
        let var = t.data().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        assert!((mean - 2.0).abs() < 0.1, "mean {mean}");
        assert!((var.sqrt() - 3.0).abs() < 0.1, "std {}", var.sqrt());
    }

    #[test]
    fn vecs_become_storage_without_a_copy() {
        let data: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let address = data.as_ptr();
        let t = Tensor::from_vec(data, [10, 100]).unwrap();
        assert_eq!(t.data().as_ptr(), address, "from_vec copied its Vec");
        let reshaped = t.reshape([1000]).unwrap();
        drop(t);
        let back = reshaped.into_vec();
        assert_eq!(back.as_ptr(), address, "into_vec of unshared storage copied it");
        assert_eq!(back[999], 999.0);

        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0], [2]).unwrap();
        let b = a.clone();
        let mut copy = b.into_vec();
        copy[0] = 5.0;
        assert_eq!(a.to_vec(), vec![1.0, 2.0], "into_vec of shared storage copies");
        assert_eq!(Tensor::scalar(3.0f32).into_vec(), vec![3.0]);
    }

    #[test]
    fn clones_share_and_writes_copy() {
        let a = Tensor::<f32>::zeros([4]);
        let mut b = a.clone();
        assert!(Tensor::<f32>::scalar(1.0).data() == [1.0]);
        assert!(a.shares_storage(&b));
        b.data_mut()[0] = 1.0;
        assert!(!a.shares_storage(&b));
        assert_eq!(a.at(&[0]), 0.0);
    }

    #[test]
    fn row_views_share_until_written() {
        let t = Tensor::<f64>::from_fn([5, 2, 3], |i| i as f64);
        let v = t.rows(1..4).unwrap();
        assert_eq!(v.dims(), &[3, 2, 3]);
        assert_eq!(v.data(), &t.data()[6..24]);
        assert!(v.shares_storage(&t));
        // A view of a view, reshaped: still the same buffer, at the right place.
        let w = v.rows(2..3).unwrap().reshape([6]).unwrap();
        assert_eq!(w.to_vec(), (18..24).map(f64::from).collect::<Vec<_>>());
        assert!(w.shares_storage(&t));
        // Writing copies the view's elements out; the source is untouched.
        let mut written = v.clone();
        written.data_mut()[0] = -1.0;
        assert!(!written.shares_storage(&t));
        assert_eq!((written.data()[0], written.numel(), t.data()[6]), (-1.0, 18, 6.0));
        assert_eq!(v.clone().into_vec(), t.data()[6..24].to_vec());
        // The whole tensor, one element, none.
        assert!(t.rows(0..5).unwrap().shares_storage(&t));
        let one = Tensor::<f64>::from_fn([4, 1], |i| i as f64).rows(2..3).unwrap();
        assert_eq!((one.dims(), one.one()), (&[1, 1][..], Some(2.0)));
        assert_eq!(t.rows(2..2).unwrap().dims(), &[0, 2, 3]);
        // Bad input is an error naming the op and the shape.
        for e in [t.rows(4..6).unwrap_err(), Tensor::<f64>::scalar(1.0).rows(0..1).unwrap_err()] {
            assert!(e.to_string().contains("rows"), "{e}");
        }
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = t.rows(3..1);
        assert!(reversed.is_err());
    }
}
