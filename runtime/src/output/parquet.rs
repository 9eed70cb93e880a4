//! Tables as Parquet datasets: `DIR/<table>/part-NNNNN.parquet`, zstd, rows in the order
//! they are appended.
//!
//! Input: table batches (`abi::TableBuffer`), appended in chunk order by the executor.
//! Output: part files of at most `rows_per_part` rows, row groups of at most
//! [`ROW_GROUP_ROWS`]; `pandas.read_parquet(DIR/<table>)` reads the table whole.
//! Invariant: there is always at least one part (an empty table is one part with the schema
//! and no rows), so readers see the columns and their types. A nullable column's validity
//! is a hidden Bool column of the batch (`TableSpec::nullable`), written as the null mask;
//! string columns hold interned ids (`Graph::strings`), written as UTF-8.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ana_compiler::abi::{OutColumn, TableBuffer};
use ana_compiler::graph::{ColumnType, TableSpec};
use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, StringArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::OutputError;

/// Rows per row group: large enough for good compression and fast scans, small enough that
/// a reader can stream.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Rows per part file by default.
pub const ROWS_PER_PART: usize = 1 << 20;

/// Writes one table's part files, in append order.
pub struct TableWriter {
    dir: PathBuf,
    name: String,
    schema: SchemaRef,
    /// Per written column: its index in the batch, its type, and the index of its
    /// validity column when it is nullable.
    layout: Vec<(usize, ColumnType, Option<usize>)>,
    strings: Arc<Vec<String>>,
    rows_per_part: usize,
    writer: Option<ArrowWriter<File>>,
    rows_in_part: usize,
    parts: usize,
    rows: u64,
}

/// What a finished table wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    pub rows: u64,
    pub parts: usize,
}

fn data_type(t: ColumnType) -> DataType {
    match t {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::I32 => DataType::Int32,
        ColumnType::I64 => DataType::Int64,
        ColumnType::F32 => DataType::Float32,
        ColumnType::F64 => DataType::Float64,
        ColumnType::Str => DataType::Utf8,
    }
}

fn array(
    col: OutColumn,
    dtype: ColumnType,
    valid: Option<&[bool]>,
    strings: &[String],
) -> ArrayRef {
    let nulls = valid.map(|v| NullBuffer::from(v.to_vec()));
    match (col, dtype) {
        (OutColumn::I64(ids), ColumnType::Str) => {
            let present = |i: usize| valid.is_none_or(|v| v.get(i).copied().unwrap_or(false));
            Arc::new(StringArray::from_iter(ids.iter().enumerate().map(
                |(i, &id)| {
                    usize::try_from(id)
                        .ok()
                        .filter(|_| present(i))
                        .and_then(|id| strings.get(id))
                        .map(String::as_str)
                },
            )))
        }
        (OutColumn::Bool(v), _) => Arc::new(BooleanArray::new(v.into(), nulls)),
        (OutColumn::I32(v), _) => Arc::new(Int32Array::new(v.into(), nulls)),
        (OutColumn::I64(v), _) => Arc::new(Int64Array::new(v.into(), nulls)),
        (OutColumn::F32(v), _) => Arc::new(Float32Array::new(v.into(), nulls)),
        (OutColumn::F64(v), _) => Arc::new(Float64Array::new(v.into(), nulls)),
    }
}

impl TableWriter {
    /// A writer for `spec` under `root/<name>/`; the folder is created now.
    pub fn new(
        root: &Path,
        spec: &TableSpec,
        strings: Arc<Vec<String>>,
        rows_per_part: usize,
    ) -> Result<TableWriter, OutputError> {
        let dir = root.join(&spec.name);
        std::fs::create_dir_all(&dir).map_err(|e| OutputError::io(&dir, e))?;
        let hidden: Vec<usize> = spec.nullable.iter().map(|&(_, v)| v).collect();
        let mut fields = Vec::new();
        let mut layout = Vec::new();
        for (i, c) in spec.columns.iter().enumerate() {
            if hidden.contains(&i) {
                continue;
            }
            let valid = spec
                .nullable
                .iter()
                .find(|&&(c, _)| c == i)
                .map(|&(_, v)| v);
            let nullable = valid.is_some() || c.dtype == ColumnType::Str;
            fields.push(Field::new(&c.name, data_type(c.dtype), nullable));
            layout.push((i, c.dtype, valid));
        }
        Ok(TableWriter {
            dir,
            name: spec.name.clone(),
            schema: Arc::new(Schema::new(fields)),
            layout,
            strings,
            rows_per_part: rows_per_part.max(1),
            writer: None,
            rows_in_part: 0,
            parts: 0,
            rows: 0,
        })
    }

    fn open_part(&mut self) -> Result<(), OutputError> {
        let path = self.dir.join(format!("part-{:05}.parquet", self.parts));
        let file = File::create(&path).map_err(|e| OutputError::io(&path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            // Physics values are nearly all distinct: dictionaries only cost time (measured:
            // the dictionary encoder was the merging thread's largest cost).
            .set_dictionary_enabled(false)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(props))
            .map_err(|e| OutputError::parquet(&path, e))?;
        self.writer = Some(writer);
        self.parts += 1;
        self.rows_in_part = 0;
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), OutputError> {
        if let Some(w) = self.writer.take() {
            w.close().map_err(|e| OutputError::parquet(&self.dir, e))?;
        }
        Ok(())
    }

    /// Appends a batch's rows after those already written, rolling to a new part file when
    /// the current one is full.
    pub fn append(&mut self, buf: TableBuffer) -> Result<(), OutputError> {
        let mut cols: Vec<Option<OutColumn>> = buf.columns.into_iter().map(Some).collect();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.layout.len());
        for &(i, dtype, valid) in &self.layout {
            let valid = match valid.and_then(|v| cols.get(v)) {
                Some(Some(OutColumn::Bool(v))) => Some(v.clone()),
                _ => None,
            };
            let Some(col) = cols.get_mut(i).and_then(Option::take) else {
                return Err(OutputError::Table {
                    table: self.name.clone(),
                    message: format!("batch without column {i}"),
                });
            };
            columns.push(array(col, dtype, valid.as_deref(), &self.strings));
        }
        let batch =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| OutputError::Table {
                table: self.name.clone(),
                message: e.to_string(),
            })?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            if self.writer.is_none() || self.rows_in_part >= self.rows_per_part {
                self.close_part()?;
                self.open_part()?;
            }
            let take = (self.rows_per_part - self.rows_in_part).min(batch.num_rows() - offset);
            let slice = batch.slice(offset, take);
            if let Some(w) = &mut self.writer {
                w.write(&slice)
                    .map_err(|e| OutputError::parquet(&self.dir, e))?;
            }
            self.rows_in_part += take;
            self.rows += take as u64;
            offset += take;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<TableSummary, OutputError> {
        if self.parts == 0 {
            self.open_part()?;
        }
        self.close_part()?;
        Ok(TableSummary {
            name: self.name,
            rows: self.rows,
            parts: self.parts,
        })
    }
}
