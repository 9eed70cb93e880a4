//! Tables as Parquet datasets: `DIR/<table>/part-NNNNN.parquet`, zstd, rows in the order
//! they are appended.
//!
//! Input: table batches (`abi::TableBuffer`), appended in chunk order by the executor.
//! Output: part files of at most `rows_per_part` rows, row groups of at most
//! [`ROW_GROUP_ROWS`]; `pandas.read_parquet(DIR/<table>)` reads the table whole.
//! Invariant: there is always at least one part (an empty table is one part with the schema
//! and no rows), so readers see the columns and their types.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ana_compiler::abi::{OutColumn, TableBuffer};
use ana_compiler::graph::{ColumnType, TableSpec};
use arrow::array::{ArrayRef, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array};
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
    }
}

fn array(col: OutColumn) -> ArrayRef {
    match col {
        OutColumn::Bool(v) => Arc::new(BooleanArray::from(v)),
        OutColumn::I32(v) => Arc::new(Int32Array::from(v)),
        OutColumn::I64(v) => Arc::new(Int64Array::from(v)),
        OutColumn::F32(v) => Arc::new(Float32Array::from(v)),
        OutColumn::F64(v) => Arc::new(Float64Array::from(v)),
    }
}

fn schema(spec: &TableSpec) -> SchemaRef {
    let fields: Vec<Field> = spec
        .columns
        .iter()
        .map(|c| Field::new(&c.name, data_type(c.dtype), false))
        .collect();
    Arc::new(Schema::new(fields))
}

fn batch(name: &str, schema: SchemaRef, buf: TableBuffer) -> Result<RecordBatch, OutputError> {
    let columns: Vec<ArrayRef> = buf.columns.into_iter().map(array).collect();
    RecordBatch::try_new(schema, columns).map_err(|e| OutputError::Table {
        table: name.to_string(),
        message: e.to_string(),
    })
}

/// A table's rows in memory as Arrow arrays, built from the run's column vectors without a
/// copy (booleans are packed into bits): the Python module hands their memory to pyarrow as
/// it is (see [`Table::columns`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    name: String,
    batch: RecordBatch,
}

/// A column's values where they lie in memory: Arrow's layout for a non-null array of
/// `arrow_type` (`bool` bit-packed, least significant bit first; numbers little-endian).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawColumn {
    pub name: String,
    /// "bool", "int32", "int64", "float32" or "float64" (pyarrow's type names).
    pub arrow_type: &'static str,
    pub address: usize,
    pub bytes: usize,
    pub rows: usize,
}

impl Table {
    pub fn new(spec: &TableSpec, buf: TableBuffer) -> Result<Table, OutputError> {
        Ok(Table {
            name: spec.name.clone(),
            batch: batch(&spec.name, schema(spec), buf)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Each column's values buffer. The memory stays valid, and unchanged, as long as the
    /// table lives.
    pub fn columns(&self) -> Vec<RawColumn> {
        use arrow::array::Array;
        let schema = self.batch.schema();
        self.batch
            .columns()
            .iter()
            .zip(schema.fields())
            .filter_map(|(a, f)| {
                let arrow_type = match a.data_type() {
                    DataType::Boolean => "bool",
                    DataType::Int32 => "int32",
                    DataType::Int64 => "int64",
                    DataType::Float32 => "float32",
                    DataType::Float64 => "float64",
                    _ => return None,
                };
                let data = a.to_data();
                // Arrays built by `array` start at offset 0 and have one values buffer.
                if data.offset() != 0 {
                    return None;
                }
                let values = data.buffers().first()?;
                Some(RawColumn {
                    name: f.name().clone(),
                    arrow_type,
                    address: values.as_ptr() as usize,
                    bytes: values.len(),
                    rows: a.len(),
                })
            })
            .collect()
    }
}

impl TableWriter {
    /// A writer for `spec` under `root/<name>/`; the folder is created now.
    pub fn new(
        root: &Path,
        spec: &TableSpec,
        rows_per_part: usize,
    ) -> Result<TableWriter, OutputError> {
        let dir = root.join(&spec.name);
        std::fs::create_dir_all(&dir).map_err(|e| OutputError::io(&dir, e))?;
        Ok(TableWriter {
            dir,
            name: spec.name.clone(),
            schema: schema(spec),
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
        let batch = batch(&self.name, self.schema.clone(), buf)?;
        self.append_batch(&batch)
    }

    /// Appends a table kept in memory (see [`Table`]).
    pub fn append_table(&mut self, table: &Table) -> Result<(), OutputError> {
        self.append_batch(&table.batch)
    }

    fn append_batch(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        if batch.schema() != self.schema {
            return Err(OutputError::Table {
                table: self.name.clone(),
                message: "rows of another table".into(),
            });
        }
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
