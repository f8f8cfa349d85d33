//! Parameters for verifiers (a change of this vendored copy, listed in its README.md).
//!
//! `Params::read` decompresses every point of `g` and `g_lagrange` (a square root each, 2^(k+1)
//! of them), though `verify_proof` reads all of `g`, `w` and `u` but of `g_lagrange` only the
//! first points, as many as the longest instance column. A verifier's file holds just those,
//! uncompressed: reading a point checks that it lies on the curve (a few multiplications)
//! instead of computing a square root.
//!
//! Layout (integers are little-endian `u32`; a point is its x then y coordinate, each the base
//! field's `PrimeField` representation, the identity as zeros):
//!
//! | bytes | field |
//! |---|---|
//! | 4 | `k` |
//! | 4 | `l`, the number of Lagrange points, at most 2^k |
//! | 2^k x point | `g` |
//! | `l` x point | the first `l` points of `g_lagrange` |
//! | point | `w` |
//! | point | `u` |
//!
//! The parameters read from it serve `verify_proof` (an instance column longer than `l` is
//! refused with `Error::InstanceTooLarge`), nothing else: committing to a whole polynomial, as key
//! generation and proving do, needs every Lagrange point (`Params::new` or `Params::read`).

use std::io;

use ff::PrimeField;

use super::Params;
use crate::arithmetic::{Coordinates, CurveAffine};

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn write_point<C: CurveAffine, W: io::Write>(writer: &mut W, point: &C) -> io::Result<()> {
    let coordinates: Option<Coordinates<C>> = point.coordinates().into();
    match coordinates {
        Some(coordinates) => {
            writer.write_all(coordinates.x().to_repr().as_ref())?;
            writer.write_all(coordinates.y().to_repr().as_ref())
        }
        None => {
            let zero = <C::Base as PrimeField>::Repr::default();
            writer.write_all(zero.as_ref())?;
            writer.write_all(zero.as_ref())
        }
    }
}

fn read_coordinate<C: CurveAffine, R: io::Read>(reader: &mut R) -> io::Result<C::Base> {
    let mut repr = <C::Base as PrimeField>::Repr::default();
    reader.read_exact(repr.as_mut())?;
    Option::from(C::Base::from_repr(repr))
        .ok_or_else(|| invalid("a coordinate in the parameters is not a canonical field element"))
}

fn read_point<C: CurveAffine, R: io::Read>(reader: &mut R) -> io::Result<C> {
    let x = read_coordinate::<C, R>(reader)?;
    let y = read_coordinate::<C, R>(reader)?;
    // (0, 0) is not on a curve y^2 = x^3 + b with b != 0, and `from_xy` takes it as the identity.
    Option::from(C::from_xy(x, y))
        .ok_or_else(|| invalid("a point in the parameters is not on the curve"))
}

fn read_u32<R: io::Read>(reader: &mut R) -> io::Result<u32> {
    let mut bytes = [0u8; 4];
    reader.read_exact(&mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

impl<C: CurveAffine> Params<C> {
    /// Writes what a verifier of instance columns of at most `lagrange_len` rows reads, in the
    /// layout of this module's documentation. `lagrange_len` is at most `2^k`.
    pub fn write_verifier<W: io::Write>(
        &self,
        writer: &mut W,
        lagrange_len: usize,
    ) -> io::Result<()> {
        let lagrange = self.g_lagrange.get(..lagrange_len).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "more Lagrange points than the parameters have",
            )
        })?;
        writer.write_all(&self.k.to_le_bytes())?;
        writer.write_all(&(lagrange_len as u32).to_le_bytes())?;
        for point in self.g.iter().chain(lagrange) {
            write_point(writer, point)?;
        }
        write_point(writer, &self.w)?;
        write_point(writer, &self.u)
    }

    /// Reads what [`Params::write_verifier`] wrote: parameters for `verify_proof` only.
    pub fn read_verifier<R: io::Read>(reader: &mut R) -> io::Result<Self> {
        let k = read_u32(reader)?;
        // `Params::new` takes k below 32 too.
        if k >= 32 {
            return Err(invalid("the parameters' k is 32 or more"));
        }
        let n = 1u64 << k;
        let lagrange_len = read_u32(reader)?;
        if u64::from(lagrange_len) > n {
            return Err(invalid("the parameters have more Lagrange points than 2^k"));
        }
        // Collecting through `Result` grows the vectors as points arrive, so a short file fails
        // before a large k allocates.
        let g = (0..n)
            .map(|_| read_point(reader))
            .collect::<io::Result<Vec<C>>>()?;
        let g_lagrange = (0..lagrange_len)
            .map(|_| read_point(reader))
            .collect::<io::Result<Vec<C>>>()?;
        let w = read_point(reader)?;
        let u = read_point(reader)?;
        Ok(Params {
            k,
            n,
            g,
            g_lagrange,
            w,
            u,
        })
    }
}
