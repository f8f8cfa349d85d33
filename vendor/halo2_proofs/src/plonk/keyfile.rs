//! Verifying keys as bytes (a change of this vendored copy, listed in its README.md).
//!
//! `keygen_vk` synthesises the circuit and commits to every fixed and permutation column: the
//! commitments are the whole of its cost. A key file stores them, and the rows where each
//! selector is enabled. Those bitmaps are needed because the constraint system a verifier uses
//! is the circuit's own after `compress_selectors`, which merges selectors into fixed columns
//! according to where they are enabled (halo2 issue #449): `configure` alone does not give the
//! gates or the number of fixed columns. [`VerifyingKey::read`] therefore configures the
//! circuit, compresses its selectors with the stored bitmaps, and checks each stored count
//! against the result, so that a key of another circuit or size is refused, not misread.
//!
//! Layout (integers are little-endian `u32`, points their compressed `GroupEncoding`):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, 1 |
//! | 4 | `k` |
//! | 4 | number of selectors `s` |
//! | `s` x `ceil(2^k / 8)` | each selector's bitmap: row `r` is bit `r % 8` of byte `r / 8`, bits past the last row zero |
//! | 4 | number of fixed commitments `f` |
//! | `f` x point | the fixed columns' commitments, the compressed selectors' last |
//! | 4 | number of permutation commitments `p` |
//! | `p` x point | one per column in the permutation |
//!
//! The encoding is canonical (a key has exactly one file), so a digest of the file names the
//! key. The reader consumes exactly the key's bytes and leaves the rest to its caller.

use std::io;

use ff::FromUniformBytes;

use super::{keygen::create_domain, permutation, Circuit, VerifyingKey};
use crate::arithmetic::CurveAffine;

/// The first byte of a key file.
const FORMAT_VERSION: u8 = 1;

/// Packs each selector's rows into a bitmap of `ceil(rows / 8)` bytes.
pub(crate) fn pack_selectors(selectors: &[Vec<bool>]) -> Vec<Vec<u8>> {
    selectors
        .iter()
        .map(|rows| {
            let mut bitmap = vec![0u8; rows.len().div_ceil(8)];
            for (row, _) in rows.iter().enumerate().filter(|(_, enabled)| **enabled) {
                bitmap[row / 8] |= 1 << (row % 8);
            }
            bitmap
        })
        .collect()
}

/// The first `rows` bits of a bitmap (which has at least `ceil(rows / 8)` bytes).
fn unpack_selector(bitmap: &[u8], rows: usize) -> Vec<bool> {
    (0..rows)
        .map(|row| (bitmap[row / 8] >> (row % 8)) & 1 == 1)
        .collect()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn write_count<W: io::Write>(writer: &mut W, count: usize) -> io::Result<()> {
    let count = u32::try_from(count).map_err(|_| invalid(format!("{count} is not a u32")))?;
    writer.write_all(&count.to_le_bytes())
}

fn read_u32<R: io::Read>(reader: &mut R) -> io::Result<u32> {
    let mut bytes = [0u8; 4];
    reader.read_exact(&mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

/// Reads a count and checks that it is the circuit's.
fn read_count<R: io::Read>(reader: &mut R, what: &str, circuit: usize) -> io::Result<()> {
    let stored = read_u32(reader)?;
    if stored as usize != circuit {
        return Err(invalid(format!(
            "the verifying key has {stored} {what}, the circuit {circuit}"
        )));
    }
    Ok(())
}

fn write_points<C: CurveAffine, W: io::Write>(writer: &mut W, points: &[C]) -> io::Result<()> {
    write_count(writer, points.len())?;
    points
        .iter()
        .try_for_each(|point| writer.write_all(point.to_bytes().as_ref()))
}

/// Reads `count` compressed points (the count itself already checked).
fn read_points<C: CurveAffine, R: io::Read>(reader: &mut R, count: usize) -> io::Result<Vec<C>> {
    (0..count)
        .map(|_| {
            let mut encoding = C::Repr::default();
            reader.read_exact(encoding.as_mut())?;
            Option::from(C::from_bytes(&encoding))
                .ok_or_else(|| invalid("invalid point encoding in the verifying key".to_string()))
        })
        .collect()
}

impl<C: CurveAffine> VerifyingKey<C> {
    /// Writes the key in the layout of this module's documentation.
    pub fn write<W: io::Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(&[FORMAT_VERSION])?;
        writer.write_all(&self.domain.k().to_le_bytes())?;
        write_count(writer, self.selector_bitmaps.len())?;
        for bitmap in &self.selector_bitmaps {
            writer.write_all(bitmap)?;
        }
        write_points(writer, &self.fixed_commitments)?;
        write_points(writer, &self.permutation.commitments)
    }
}

impl<C: CurveAffine> VerifyingKey<C>
where
    C::Scalar: FromUniformBytes<64>,
{
    /// Reads a key that [`VerifyingKey::write`] wrote for `ConcreteCircuit` at size `k`: the
    /// same key `keygen_vk` builds, without committing to any column. Refuses (with
    /// `InvalidData`) a key written for another `k`, or whose counts of selectors, fixed or
    /// permutation commitments are not the circuit's.
    ///
    /// The stored commitments are taken as they are: a verifier that needs *this circuit's*
    /// key checks the result against a pinned digest (of the file, or of `pinned()`).
    pub fn read<R: io::Read, ConcreteCircuit: Circuit<C::Scalar>>(
        reader: &mut R,
        k: u32,
    ) -> io::Result<Self> {
        let mut version = [0u8; 1];
        reader.read_exact(&mut version)?;
        if version[0] != FORMAT_VERSION {
            return Err(invalid(format!(
                "verifying key format {} (this halo2 reads format {FORMAT_VERSION})",
                version[0]
            )));
        }
        let stored_k = read_u32(reader)?;
        if stored_k != k {
            return Err(invalid(format!(
                "the verifying key is for k = {stored_k}, not k = {k}"
            )));
        }
        // `EvaluationDomain::new` takes k below the field's two-adicity (32 for Pasta), and the
        // row count must fit a usize.
        if k >= 32 || k >= usize::BITS {
            return Err(invalid(format!("k = {k} is too large")));
        }
        let (domain, cs, _) = create_domain::<C, ConcreteCircuit>(k);
        let rows = 1usize << k;
        if rows < cs.minimum_rows() {
            return Err(invalid(format!(
                "the circuit needs {} rows, k = {k} has {rows}",
                cs.minimum_rows()
            )));
        }

        read_count(reader, "selectors", cs.num_selectors)?;
        let mut selector_bitmaps = Vec::with_capacity(cs.num_selectors);
        for selector in 0..cs.num_selectors {
            let mut bitmap = vec![0u8; rows.div_ceil(8)];
            reader.read_exact(&mut bitmap)?;
            // Only a canonical file is a key's file: no bit set past the last row (there are
            // such bits only when k < 3).
            if rows % 8 != 0 && bitmap[bitmap.len() - 1] >> (rows % 8) != 0 {
                return Err(invalid(format!(
                    "selector {selector}'s bitmap has bits set past row {}",
                    rows - 1
                )));
            }
            selector_bitmaps.push(bitmap);
        }
        let selectors = selector_bitmaps
            .iter()
            .map(|bitmap| unpack_selector(bitmap, rows))
            .collect();
        // The selector polynomials are not needed: their commitments are stored.
        let (cs, _) = cs.compress_selectors(selectors);

        read_count(reader, "fixed commitments", cs.num_fixed_columns)?;
        let fixed_commitments = read_points(reader, cs.num_fixed_columns)?;
        let permutation_columns = cs.permutation.get_columns().len();
        read_count(reader, "permutation commitments", permutation_columns)?;
        let commitments = read_points(reader, permutation_columns)?;

        Ok(Self::from_parts(
            domain,
            fixed_commitments,
            permutation::VerifyingKey { commitments },
            cs,
            selector_bitmaps,
        ))
    }
}
